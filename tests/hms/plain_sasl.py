"""SASL PLAIN on lakecat's Thrift port for the test scripts: thrift_sasl over pure-sasl,
behind the interface of the C `sasl` package, as impyla adapts it."""
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from puresasl.client import SASLClient
from thrift.protocol import TBinaryProtocol
from thrift.transport import TSocket
from thrift_sasl import TSaslClientTransport


class PureSasl:
    def __init__(self, host, user, password):
        self.c = SASLClient(host, "hive", mechanism="PLAIN", username=user, password=password)

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


def connect(address, user, password):
    """An open transport and a Hive Metastore client, authenticated as `user`."""
    host, port = address.rsplit(":", 1)
    sock = TSocket.TSocket(host, int(port))
    sock.setTimeout(5000)
    t = TSaslClientTransport(lambda: PureSasl(host, user, password), "PLAIN", sock)
    t.open()
    return t, ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(t))
