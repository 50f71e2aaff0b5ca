"""Permissions on every front, with real clients (boto3, signed REST and DDL, thrift_sasl):
argv = HTTP endpoint, Thrift host:port. Against `lakecat serve --auth sigv4 --access-keys
ROOT:root-secret,READER:reader-secret,WRITER:writer-secret --thrift-users reader:rpw
--authorization grants --admins ROOT`. Prints "ok"."""
import json
import os
import sys
import urllib.error
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hms"))
endpoint, thrift = sys.argv[1], sys.argv[2]
SECRETS = {"ROOT": "root-secret", "READER": "reader-secret", "WRITER": "writer-secret"}


def glue(key):
    return boto3.client("glue", endpoint_url=endpoint, region_name="eu-west-1",
                        aws_access_key_id=key, aws_secret_access_key=SECRETS[key])


def rest(key, method, path, body=None):
    data = json.dumps(body) if body is not None else None
    req = AWSRequest(method=method, url=endpoint + path, data=data,
                     headers={"Content-Type": "application/json"} if data else {})
    SigV4Auth(Credentials(key, SECRETS[key]), "glue", "eu-west-1").add_auth(req)
    p = req.prepare()
    r = urllib.request.Request(p.url, data=p.body.encode() if isinstance(p.body, str) else p.body,
                               headers=dict(p.headers), method=method)
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def denied(call):
    try:
        call()
    except ClientError as e:
        assert e.response["Error"]["Code"] == "AccessDeniedException", e.response
        return
    raise SystemExit("expected AccessDeniedException")


def table_input(name):
    return {"Name": name, "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}], "Location": "s3://b/" + name}}


root = glue("ROOT")
root.create_database(DatabaseInput={"Name": "sales"})
root.create_database(DatabaseInput={"Name": "hr"})
root.create_table(DatabaseName="sales", TableInput=table_input("orders"))
root.create_table(DatabaseName="hr", TableInput=table_input("salaries"))
root.batch_create_partition(DatabaseName="sales", TableName="orders", PartitionInputList=[
    {"Values": ["2024-01-01"], "StorageDescriptor": {"Location": "s3://b/orders/dt=2024-01-01"}}])

status, body = rest("ROOT", "POST", "/v1/ddl", {"sql": """
    GRANT SELECT ON DATABASE sales TO USER READER;
    GRANT SELECT ON DATABASE sales TO USER reader;
    GRANT SELECT, ALTER ON TABLE sales.orders TO USER WRITER"""})
assert status == 200, (status, body)
status, body = rest("ROOT", "POST", "/v1/ddl", {"sql": "SHOW GRANT USER WRITER"})
assert body["results"][0]["result_set"]["rows"] == [["WRITER", "table:sales.orders", "read,write"]], body


def snapshot():
    t = root.get_table(DatabaseName="sales", Name="orders")["Table"]
    parts = root.get_partitions(DatabaseName="sales", TableName="orders")["Partitions"]
    # `default` appears when the first Thrift client connects, as for Hive's clients.
    dbs = sorted(d["Name"] for d in root.get_databases()["DatabaseList"] if d["Name"] != "default")
    return t.get("VersionId"), [p["Values"] for p in parts], dbs


before = snapshot()

# The reader, over Glue: sees sales only, reads it, changes nothing.
reader = glue("READER")
assert [d["Name"] for d in reader.get_databases()["DatabaseList"]] == ["sales"]
assert reader.get_table(DatabaseName="sales", Name="orders")["Table"]["Name"] == "orders"
assert len(reader.get_partitions(DatabaseName="sales", TableName="orders")["Partitions"]) == 1
denied(lambda: reader.get_table(DatabaseName="hr", Name="salaries"))
denied(lambda: reader.create_table(DatabaseName="sales", TableInput=table_input("mine")))
denied(lambda: reader.update_table(DatabaseName="sales", TableInput=table_input("orders")))
denied(lambda: reader.delete_table(DatabaseName="sales", Name="orders"))
denied(lambda: reader.create_database(DatabaseInput={"Name": "mine"}))
denied(lambda: reader.batch_create_partition(DatabaseName="sales", TableName="orders", PartitionInputList=[
    {"Values": ["2030-01-01"], "StorageDescriptor": {"Location": "s3://b/orders/dt=2030-01-01"}}]))

# Over REST and DDL.
assert rest("READER", "GET", "/v1/databases/sales/tables/orders")[0] == 200
assert rest("READER", "POST", "/v1/databases", {"name": "mine"})[0] == 403
assert rest("READER", "DELETE", "/v1/databases/sales/tables/orders")[0] == 403
status, body = rest("READER", "POST", "/v1/ddl", {"sql": "DROP TABLE sales.orders"})
assert status == 403 and body["error"]["code"] == "access_denied", (status, body)
status, body = rest("READER", "POST", "/v1/ddl", {"sql": "GRANT ALL ON CATALOG TO USER READER"})
assert status == 403, (status, body)
assert rest("READER", "POST", "/v1/grants", {"principal": "READER", "resource": "catalog", "privileges": ["admin"]})[0] == 403
assert rest("READER", "GET", "/v1/audit")[0] == 403
# The change log shows every database's changes; webhooks hold secrets and
# make the server call out: a catalog-wide read, and administrators' only.
assert rest("READER", "GET", "/v1/events")[0] == 403
assert rest("READER", "POST", "/v1/webhooks", {"name": "h", "url": "http://127.0.0.1:9/x"})[0] == 403
assert rest("READER", "GET", "/v1/webhooks")[0] == 403
assert rest("ROOT", "GET", "/v1/events")[0] == 200
assert rest("ROOT", "POST", "/v1/webhooks", {"name": "h", "url": "http://127.0.0.1:9/x"})[0] == 201
assert rest("ROOT", "DELETE", "/v1/webhooks/h")[0] == 204
status, body = rest("READER", "GET", "/v1/grants?principal=READER")
assert status == 200 and body["grants"][0]["resource"] == "database:sales", body

# Over Thrift, as the SASL user `reader`.
from hmsclient.genthrift.hive_metastore.ttypes import Database
from sasl_clients import connect

t, c = connect(thrift, "reader", "rpw")
assert c.get_table("sales", "orders").tableName == "orders"
assert c.get_all_databases() == ["sales"], c.get_all_databases()
for call in (lambda: c.drop_table("sales", "orders", False),
             lambda: c.create_database(Database(name="mine", parameters={})),
             lambda: c.get_table("hr", "salaries")):
    try:
        call()
        raise SystemExit("a Thrift call was let through")
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - MetaException or NoSuchObjectException
        assert "may not" in str(e), e
t.close()

# The writer changes the table it was granted, and drops nothing.
writer = glue("WRITER")
writer.batch_create_partition(DatabaseName="sales", TableName="orders", PartitionInputList=[
    {"Values": ["2024-01-02"], "StorageDescriptor": {"Location": "s3://b/orders/dt=2024-01-02"}}])
denied(lambda: writer.delete_table(DatabaseName="sales", Name="orders"))
denied(lambda: writer.create_table(DatabaseName="sales", TableInput=table_input("other")))

after = snapshot()
assert after[0] == before[0] and after[2] == before[2], (before, after)
assert after[1] == [["2024-01-01"], ["2024-01-02"]], after

# Revoked, the writer can no longer write.
assert rest("ROOT", "POST", "/v1/grants/revoke", {"principal": "WRITER", "resource": "table:sales.orders",
                                                  "privileges": ["write"]})[0] == 200
import time
time.sleep(1.2)  # grants are cached for a second
denied(lambda: writer.batch_create_partition(DatabaseName="sales", TableName="orders", PartitionInputList=[
    {"Values": ["2024-01-03"], "StorageDescriptor": {"Location": "s3://b/orders/dt=2024-01-03"}}]))
# Crawlers: managing them needs write on the catalog; a run is the server's own work and
# registers what it finds whoever started it.
import tempfile
lake = tempfile.mkdtemp()
os.makedirs(f"{lake}/events/dt=2024-01-01")
with open(f"{lake}/events/dt=2024-01-01/part-0.json", "w") as f:
    f.write('{"id": 1}\n')
target = {"S3Targets": [{"Path": f"{lake}/events"}]}
denied(lambda: reader.create_crawler(Name="c", Role="r", DatabaseName="sales", Targets=target))
root.create_crawler(Name="c", Role="r", DatabaseName="sales", Targets=target)
root.start_crawler(Name="c")
for _ in range(200):
    if root.get_crawler(Name="c")["Crawler"]["State"] == "READY":
        break
    time.sleep(0.1)
assert root.get_crawler(Name="c")["Crawler"]["LastCrawl"]["Status"] == "SUCCEEDED", root.get_crawler(Name="c")
assert root.get_table(DatabaseName="sales", Name="events")["Table"]["Name"] == "events"
denied(lambda: reader.start_crawler(Name="c"))

status, body = rest("ROOT", "GET", "/v1/audit?outcome=rejected&front=glue")
assert status == 200 and any(e["principal"] == "READER" for e in body["entries"]), body
print("ok")
