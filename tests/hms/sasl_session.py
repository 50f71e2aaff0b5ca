"""SASL PLAIN on lakecat's Thrift port (`--thrift-users ann:s3cret`), with the
clients Hive's Python users use (thrift_sasl over pure-sasl): argv = host:port.
The right password is served; a wrong one and a client without SASL are refused.
Prints "ok"."""
import sys

from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from sasl_clients import connect
from thrift.protocol import TBinaryProtocol
from thrift.transport import TSocket

host, port = sys.argv[1].rsplit(":", 1)


def sasl_client(password):
    return connect(sys.argv[1], "ann", password)


t, c = sasl_client("s3cret")
assert "default" in c.get_all_databases(), c.get_all_databases()
c.create_database(__import__("hmsclient.genthrift.hive_metastore.ttypes", fromlist=["Database"]).Database(
    name="sasl_db", parameters={}))
assert "sasl_db" in c.get_all_databases()
t.close()
try:
    sasl_client("wrong")
    raise SystemExit("a wrong password was let in")
except Exception as e:
    assert not isinstance(e, SystemExit), e
    assert "authentication failed" in str(e) or "Bad status" in str(e), e
try:
    sock = TSocket.TSocket(host, int(port))
    sock.setTimeout(5000)
    from thrift.transport import TTransport
    plain = TTransport.TBufferedTransport(sock)
    plain.open()
    ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(plain)).get_all_databases()
    raise SystemExit("a client without SASL was served")
except Exception as e:
    assert not isinstance(e, SystemExit), e
print("ok")
