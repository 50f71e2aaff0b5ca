"""The audit log, with real clients: argv = HTTP endpoint, Thrift host:port, mode.
Against `lakecat serve --auth sigv4 --access-keys AKIDAUDIT:audit-secret
--thrift-users ann:s3cret`. Mode `act` makes writes and refusals with boto3 and
thrift_sasl, then prints GET /v1/audit (signed) as JSON; mode `read` only prints it."""
import json
import os
import sys
import urllib.request

import boto3
import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hms"))
endpoint, thrift, mode = sys.argv[1], sys.argv[2], sys.argv[3]


def glue(key, secret):
    return boto3.client("glue", endpoint_url=endpoint, region_name="eu-west-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


def fails(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001 - any refusal will do
        return e
    raise SystemExit("expected a refusal")


if mode == "act":
    good = glue("AKIDAUDIT", "audit-secret")
    good.create_database(DatabaseInput={"Name": "audited"})
    good.get_databases()  # a read: not audited
    fails(lambda: good.create_database(DatabaseInput={"Name": "audited"}))  # rejected
    fails(lambda: glue("AKIDAUDIT", "wrong-secret").create_database(DatabaseInput={"Name": "forged"}))

    from hmsclient.genthrift.hive_metastore.ttypes import Database
    from sasl_clients import connect

    def hms(password):
        return connect(thrift, "ann", password)

    t, c = hms("s3cret")
    c.get_all_databases()  # a read: not audited
    c.create_database(Database(name="thrift_audited", parameters={}))
    t.close()
    fails(lambda: hms("wrong"))

req = AWSRequest(method="GET", url=endpoint + "/v1/audit?max_results=1000")
SigV4Auth(Credentials("AKIDAUDIT", "audit-secret"), "glue", "eu-west-1").add_auth(req)
p = req.prepare()
with urllib.request.urlopen(urllib.request.Request(p.url, headers=dict(p.headers))) as r:
    print(json.dumps(json.loads(r.read())))
