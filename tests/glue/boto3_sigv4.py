"""boto3/botocore against `lakecat serve --auth sigv4 --access-keys AKIDLAKECAT:lakecat-secret`
(run by tests/glue.rs with the endpoint as argv[1]). Prints "ok" at the end."""
import datetime
import json
import sys
import urllib.error
import urllib.request

import boto3
import botocore
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

endpoint = sys.argv[1]
GOOD = Credentials("AKIDLAKECAT", "lakecat-secret")


def client(key, secret, **kw):
    return boto3.client("glue", endpoint_url=endpoint, region_name="eu-west-1",
                        aws_access_key_id=key, aws_secret_access_key=secret, **kw)


def code_of(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
    return None, ""


good = client("AKIDLAKECAT", "lakecat-secret")
good.create_database(DatabaseInput={"Name": "signed", "Parameters": {"a b": "c/d"}})
assert good.get_database(Name="signed")["Database"]["Parameters"] == {"a b": "c/d"}
assert code_of(lambda: client("AKIDLAKECAT", "wrong").get_databases())[0] == "InvalidSignatureException"
assert code_of(lambda: client("NOSUCHKEY", "x").get_databases())[0] == "UnrecognizedClientException"
unsigned = client("x", "y", config=Config(signature_version=botocore.UNSIGNED))
assert code_of(lambda: unsigned.get_databases())[0] == "MissingAuthenticationTokenException"


def send(req):
    prepared = req.prepare()
    data = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    r = urllib.request.Request(prepared.url, data=data, headers=dict(prepared.headers), method=prepared.method)
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def glue_request(body):
    return AWSRequest(method="POST", url=endpoint + "/", data=body, headers={
        "X-Amz-Target": "AWSGlue.GetDatabase", "Content-Type": "application/x-amz-json-1.1"})


# A signed request is accepted; the same request with its body changed is not.
req = glue_request(json.dumps({"Name": "signed"}))
SigV4Auth(GOOD, "glue", "eu-west-1").add_auth(req)
status, body = send(req)
assert status == 200 and body["Database"]["Name"] == "signed", (status, body)
req = glue_request(json.dumps({"Name": "signed"}))
SigV4Auth(GOOD, "glue", "eu-west-1").add_auth(req)
req.data = json.dumps({"Name": "other!"})
status, body = send(req)
assert status == 403 and body["__type"] == "InvalidSignatureException", (status, body)

# An unsigned payload (S3's UNSIGNED-PAYLOAD) would carry any body under a valid
# signature: a signed SHOW DATABASES must not become a CREATE DATABASE.
class UnsignedPayload(SigV4Auth):
    def payload(self, request):
        return "UNSIGNED-PAYLOAD"


req = AWSRequest(method="POST", url=endpoint + "/v1/ddl", data=json.dumps({"sql": "SHOW DATABASES"}),
                 headers={"Content-Type": "application/json", "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
UnsignedPayload(GOOD, "glue", "eu-west-1").add_auth(req)
req.data = json.dumps({"sql": "CREATE DATABASE swapped"})
status, body = send(req)
assert status == 403 and body["__type"] == "InvalidSignatureException", (status, body)
assert code_of(lambda: good.get_database(Name="swapped"))[0] == "EntityNotFoundException"

# A signature from 30 minutes ago has expired.
real_now = botocore.auth.get_current_datetime
botocore.auth.get_current_datetime = lambda: real_now() - datetime.timedelta(minutes=30)
try:
    req = glue_request(json.dumps({"Name": "signed"}))
    SigV4Auth(GOOD, "glue", "eu-west-1").add_auth(req)
finally:
    botocore.auth.get_current_datetime = real_now
status, body = send(req)
assert status == 403 and body["__type"] == "InvalidSignatureException" and "expired" in body["Message"], (status, body)

# The query-string form (a presigned URL) of a REST call.
req = AWSRequest(method="GET", url=endpoint + "/v1/databases/signed?x=1%202")
SigV4QueryAuth(GOOD, "glue", "eu-west-1", expires=60).add_auth(req)
status, body = send(req)
assert status == 200 and body["name"] == "signed", (status, body)
# The signature's own query parameters are not the route's: a listing that takes
# only its documented parameters still answers.
req = AWSRequest(method="GET", url=endpoint + "/v1/databases?max_results=5")
SigV4QueryAuth(GOOD, "glue", "eu-west-1", expires=60).add_auth(req)
status, body = send(req)
assert status == 200 and "signed" in [d["name"] for d in body["databases"]], (status, body)
# /health needs no signature.
with urllib.request.urlopen(endpoint + "/health") as r:
    assert r.status == 200
print("ok")
