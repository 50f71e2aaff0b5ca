"""SASL on lakecat's Thrift port for the test scripts: thrift_sasl over pure-sasl,
behind the interface of the C `sasl` package, as impyla adapts it. PLAIN with a
user and password; GSSAPI (Kerberos) with the ticket cache pykerberos finds
(KRB5CCNAME), as Hive's Python clients sign in."""
import struct

from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from puresasl.client import SASLClient
from thrift.protocol import TBinaryProtocol
from thrift.transport import TSocket
from thrift_sasl import TSaslClientTransport


class PureSasl:
    def __init__(self, host, mechanism, **kwargs):
        self.c = SASLClient(host, "hive", mechanism=mechanism, **kwargs)

    def start(self, mechanism):
        return True, mechanism, self.c.process()

    def step(self, challenge):
        return True, self.c.process(challenge)

    # thrift_sasl expects the C library's framing: with a security layer, an
    # encoded frame carries its own 4-byte length (and decode gets it back);
    # without one, encode returns the data unchanged and is never called again.
    def encode(self, data):
        wrapped = self.c.wrap(data)
        if wrapped == data:
            return True, data
        return True, struct.pack(">I", len(wrapped)) + wrapped

    def decode(self, data):
        return True, self.c.unwrap(data[4:])

    def getError(self):
        return ""


def _open(address, mechanism, **kwargs):
    host, port = address.rsplit(":", 1)
    sock = TSocket.TSocket(host, int(port))
    sock.setTimeout(10000)
    t = TSaslClientTransport(lambda: PureSasl(host, mechanism, **kwargs), mechanism, sock)
    t.open()
    return t, ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(t))


def connect(address, user, password):
    """An open transport and a Hive Metastore client, authenticated as `user`."""
    return _open(address, "PLAIN", username=user, password=password)


def connect_kerberos(address, qop=b"auth"):
    """The same, signed in with Kerberos to hive/<host of address>; `qop` is the
    protection the client insists on (auth, auth-int, auth-conf)."""
    return _open(address, "GSSAPI", qops=[qop])
