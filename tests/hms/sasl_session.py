"""SASL PLAIN on lakecat's Thrift port (`--thrift-users ann:s3cret`), with the
clients Hive's Python users use (thrift_sasl over pure-sasl): argv = host:port.
The right password is served; a wrong one and a client without SASL are refused.
Prints "ok"."""
import sys

from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from puresasl.client import SASLClient
from thrift.protocol import TBinaryProtocol
from thrift.transport import TSocket
from thrift_sasl import TSaslClientTransport

host, port = sys.argv[1].rsplit(":", 1)


class PureSasl:
    """pure-sasl behind the interface thrift_sasl calls (that of the C `sasl`
    package), as impyla adapts it."""

    def __init__(self, password):
        self.c = SASLClient(host, "hive", mechanism="PLAIN", username="ann", password=password)

    def start(self, mechanism):
        return True, mechanism, self.c.process()

    def step(self, challenge):
        return True, self.c.process(challenge)

    def encode(self, data):
        return True, data  # PLAIN has no protection layer: frames carry plain Thrift

    def decode(self, data):
        return True, data

    def getError(self):
        return ""


def sasl_client(password):
    sock = TSocket.TSocket(host, int(port))
    sock.setTimeout(5000)
    factory = lambda: PureSasl(password)
    t = TSaslClientTransport(factory, "PLAIN", sock)
    t.open()
    return t, ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(t))


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
