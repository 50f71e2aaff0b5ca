"""Kerberos (SASL GSSAPI) on lakecat's Thrift port with the clients Hive's Python
users use: hmsclient over thrift_sasl and pure-sasl, which signs in with
pykerberos from a ticket cache that `kinit -kt` fills. argv = host:port of the
Thrift front, the realm's folder (scripts/kdc.sh). alice is served as herself
with each protection; a client without a ticket is refused.
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
# Each protection Hadoop's hadoop.rpc.protection names: authentication (Hive's
# default), integrity and privacy (every frame signed, or encrypted too).
for qop, name in [(b"auth", "py_auth"), (b"auth-int", "py_int"), (b"auth-conf", "py_conf")]:
    t, c = connect_kerberos(address, qop=qop)
    c.create_database(Database(name=name, parameters={}))
    assert name in c.get_all_databases(), (qop, c.get_all_databases())
    t.close()
print("ok")
