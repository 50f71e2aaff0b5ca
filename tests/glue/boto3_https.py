"""boto3 over HTTPS (lakecat serve --tls-cert/--tls-key).

`make DIR` writes a self-signed certificate for 127.0.0.1 (cert.pem, key.pem);
`run ENDPOINT DIR` drives the Glue API over TLS with that certificate as the
trusted root, then replaces the pair on disk and waits for the server to serve
the new certificate without a restart. Prints "ok"."""
import datetime
import ipaddress
import os
import ssl
import sys
import time
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make(d, name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    # Written beside and renamed in, so the server never reads half a file.
    for fname, data in [("key.pem", key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption())),
                        ("cert.pem", cert.public_bytes(serialization.Encoding.PEM))]:
        with open(os.path.join(d, fname + ".new"), "wb") as f:
            f.write(data)
        os.replace(os.path.join(d, fname + ".new"), os.path.join(d, fname))
    return cert


def served(endpoint):
    u = urllib.parse.urlparse(endpoint)
    pem = ssl.get_server_certificate((u.hostname, u.port))
    return x509.load_pem_x509_certificate(pem.encode())


if sys.argv[1] == "make":
    make(sys.argv[2], "first")
    print("ok")
    sys.exit(0)

import boto3  # noqa: E402

endpoint, d, thrift_addr = sys.argv[2], sys.argv[3], sys.argv[4]
cert = os.path.join(d, "cert.pem")
glue = boto3.client("glue", endpoint_url=endpoint, region_name="us-east-1", verify=cert,
                    aws_access_key_id="x", aws_secret_access_key="y")
glue.create_database(DatabaseInput={"Name": "tls"})
assert [x["Name"] for x in glue.get_databases()["DatabaseList"]] == ["tls"]
ctx = ssl.create_default_context(cafile=cert)
with urllib.request.urlopen(endpoint + "/health", context=ctx) as r:
    assert r.status == 200
# Plain HTTP to the TLS port gets no answer.
try:
    urllib.request.urlopen(endpoint.replace("https://", "http://") + "/health", timeout=5)
    raise SystemExit("plain HTTP was answered on the TLS port")
except Exception as e:
    assert not isinstance(e, SystemExit), e

# The Hive Metastore port over TLS (Hive's hive.metastore.use.SSL), and plain
# Thrift refused there.
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore  # noqa: E402
from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import TSocket, TSSLSocket, TTransport  # noqa: E402

thost, tport = thrift_addr.rsplit(":", 1)


def hms(sock):
    transport = TTransport.TBufferedTransport(sock)
    transport.open()
    return transport, ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(transport))


t, c = hms(TSSLSocket.TSSLSocket(thost, int(tport), ssl_context=ssl.create_default_context(cafile=cert)))
assert "tls" in c.get_all_databases(), c.get_all_databases()
t.close()
try:
    sock = TSocket.TSocket(thost, int(tport))
    sock.setTimeout(5000)
    t, c = hms(sock)
    c.get_all_databases()
    raise SystemExit("plain Thrift was answered on the TLS port")
except Exception as e:
    assert not isinstance(e, SystemExit), e

# A new pair on disk is served to new connections without a restart.
assert served(endpoint).subject.rfc4514_string() == "CN=first"
new = make(d, "second")
deadline = time.time() + 15
while served(endpoint).serial_number != new.serial_number:
    assert time.time() < deadline, "the new certificate was not picked up"
    time.sleep(0.3)
glue = boto3.client("glue", endpoint_url=endpoint, region_name="us-east-1", verify=cert,
                    aws_access_key_id="x", aws_secret_access_key="y")
assert "tls" in [x["Name"] for x in glue.get_databases()["DatabaseList"]]
print("ok")
