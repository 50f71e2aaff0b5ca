"""Kerberos (SASL GSSAPI) on lakecat's Thrift port with the clients Hive's Python
users use: hmsclient over thrift_sasl and pure-sasl, which signs in with
pykerberos from a ticket cache that `kinit -kt` fills. argv = host:port of the
Thrift front, the realm's folder (scripts/kdc.sh). alice is served as herself;
a client without a ticket and one that insists on privacy are refused.
Prints "ok"."""
import os
import subprocess
import sys
import tempfile

address, realm = sys.argv[1], sys.argv[2]
cache = tempfile.mkdtemp()
os.environ["KRB5_CONFIG"] = f"{realm}/krb5.conf"
os.environ["KRB5CCNAME"] = f"FILE:{cache}/alice.cc"

from hmsclient.genthrift.hive_metastore.ttypes import Database  # noqa: E402
from sasl_clients import connect_kerberos  # noqa: E402


def refused(why, **kwargs):
    try:
        t, c = connect_kerberos(address, **kwargs)
        c.get_all_databases()
    except Exception as e:  # the client's SASL library or the server says no
        return str(e)
    raise SystemExit(f"served {why}")


# No ticket yet: pykerberos cannot even start.
refused("a client without a Kerberos ticket")
subprocess.run(["kinit", "-kt", f"{realm}/alice.keytab", "alice@LAKECAT.TEST"], check=True)
t, c = connect_kerberos(address)
c.create_database(Database(name="py_kerb", parameters={}))
assert "py_kerb" in c.get_all_databases(), c.get_all_databases()
t.close()
# Privacy is not offered: pure-sasl finds no common protection layer.
why = refused("a client that insists on privacy", qop=b"auth-conf")
assert "qop" in why.lower() or "protection" in why.lower() or "layer" in why.lower(), why
print("ok")
