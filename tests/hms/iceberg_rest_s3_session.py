"""PyIceberg's RestCatalog on lakecat's Iceberg REST front with a warehouse on S3 (a moto
server), beside its GlueCatalog on lakecat's Glue API: argv = lakecat base URL, S3 endpoint.
Partitioned tables, overwrite and delete, schema and partition evolution, concurrent
committers; every count checked. Prints "ok"."""
import sys
import threading

import boto3
import pyarrow as pa
from pyiceberg.catalog.glue import GlueCatalog
from pyiceberg.catalog.rest import RestCatalog
from pyiceberg.expressions import EqualTo, GreaterThanOrEqual
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import LongType, NestedField, StringType

base, s3 = sys.argv[1], sys.argv[2]
boto3.client("s3", endpoint_url=s3, region_name="us-east-1", aws_access_key_id="testing",
             aws_secret_access_key="testing").create_bucket(Bucket="lake")
io = {"s3.endpoint": s3, "s3.access-key-id": "testing", "s3.secret-access-key": "testing",
      "s3.region": "us-east-1", "py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO"}
rest = RestCatalog("lake", uri=f"{base}/iceberg", **io)
glue = GlueCatalog("lake", **{"glue.endpoint": base, "glue.region": "us-east-1", "glue.access-key-id": "x",
                              "glue.secret-access-key": "y"}, **io)

rest.create_namespace("s3ns", {"location": "s3://lake/s3ns"})
schema = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "region", StringType(), required=False))
spec = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="region"))
t = rest.create_table("s3ns.sales", schema=schema, partition_spec=spec)
assert t.location() == "s3://lake/s3ns/sales" and t.metadata_location.startswith("s3://lake/s3ns/sales/metadata/00000-")

rows = pa.table({"id": pa.array(range(10), pa.int64()), "region": pa.array(["eu", "us"] * 5)})
t.append(rows)
t.overwrite(pa.table({"id": pa.array([100], pa.int64()), "region": pa.array(["eu"])}), overwrite_filter=EqualTo("region", "eu"))
t = rest.load_table("s3ns.sales")
got = t.scan().to_arrow()
assert got.num_rows == 6 and sorted(got["id"].to_pylist()) == [1, 3, 5, 7, 9, 100], got
t.delete(GreaterThanOrEqual("id", 7))
t = rest.load_table("s3ns.sales")
assert sorted(t.scan().to_arrow()["id"].to_pylist()) == [1, 3, 5], t.scan().to_arrow()
assert len(t.snapshots()) >= 4, t.snapshots()

# Schema and partition evolution.
with t.update_schema() as u:
    u.add_column("amount", LongType())
with t.update_spec() as u:
    u.add_identity("amount")
t = rest.load_table("s3ns.sales")
assert [f.name for f in t.schema().fields] == ["id", "region", "amount"]
assert [f.name for f in t.spec().fields] == ["region", "amount"] and len(t.specs()) == 2
t.append(pa.table({"id": pa.array([50], pa.int64()), "region": pa.array(["us"]), "amount": pa.array([5], pa.int64())}))
assert rest.load_table("s3ns.sales").scan(row_filter=EqualTo("amount", 5)).to_arrow().num_rows == 1

# The Glue API serves the same table: PyIceberg's GlueCatalog loads it and commits, and the
# REST front sees the commit.
g = glue.load_table("s3ns.sales")
assert g.metadata_location == rest.load_table("s3ns.sales").metadata_location
g.append(pa.table({"id": pa.array([60], pa.int64()), "region": pa.array(["eu"]), "amount": pa.array([6], pa.int64())}))
assert sorted(rest.load_table("s3ns.sales").scan().to_arrow()["id"].to_pylist()) == [1, 3, 5, 50, 60]
# And a table made through Glue loads over REST.
glue.create_table("s3ns.from_glue", schema=schema, location="s3://lake/s3ns/from_glue")
assert rest.load_table("s3ns.from_glue").schema() == glue.load_table("s3ns.from_glue").schema()

# Four concurrent appenders from the same base: PyIceberg retries the refused ones and
# nothing is lost (each snapshot and each row counted).
before = rest.load_table("s3ns.sales")
n_rows, n_snaps = before.scan().to_arrow().num_rows, len(before.snapshots())
tables = [rest.load_table("s3ns.sales") for _ in range(4)]
barrier = threading.Barrier(4)
errors = []


def append(tbl, i):
    barrier.wait()
    try:
        tbl.append(pa.table({"id": pa.array([1000 + i], pa.int64()), "region": pa.array(["us"]),
                             "amount": pa.array([i], pa.int64())}))
    except Exception as e:  # noqa: BLE001 - reported below
        errors.append(repr(e))


ts = [threading.Thread(target=append, args=(tbl, i)) for i, tbl in enumerate(tables)]
[x.start() for x in ts]
[x.join() for x in ts]
assert not errors, errors
after = rest.load_table("s3ns.sales")
assert after.scan().to_arrow().num_rows == n_rows + 4 and len(after.snapshots()) == n_snaps + 4

# Objects are written and read only under the operator's s3:// prefixes.
from pyiceberg.exceptions import BadRequestError

boto3.client("s3", endpoint_url=s3, region_name="us-east-1", aws_access_key_id="testing",
             aws_secret_access_key="testing").create_bucket(Bucket="other")
for make in (lambda: rest.create_table("s3ns.elsewhere", schema=schema, location="s3://other/x"),
             lambda: rest.register_table("s3ns.elsewhere", "s3://other/x/metadata/00000-x.metadata.json")):
    try:
        make()
        raise SystemExit("a location outside --allowed-locations was used")
    except BadRequestError as e:
        assert "--allowed-locations" in str(e), e
assert not rest.table_exists("s3ns.elsewhere")

# Dropped without purge: the files stay on S3.
rest.drop_table("s3ns.from_glue")
keys = [o["Key"] for o in boto3.client("s3", endpoint_url=s3, region_name="us-east-1", aws_access_key_id="testing",
                                         aws_secret_access_key="testing").list_objects_v2(Bucket="lake",
                                                                                          Prefix="s3ns/from_glue/")["Contents"]]
assert any(k.endswith(".metadata.json") for k in keys), keys

# Purged: every object under the table's location goes, and only those.
s3c = boto3.client("s3", endpoint_url=s3, region_name="us-east-1", aws_access_key_id="testing",
                   aws_secret_access_key="testing")
doomed = rest.create_table("s3ns.doomed", schema=schema)
doomed.append(pa.table({"id": pa.array([1, 2], pa.int64()), "region": pa.array(["eu", "us"])}))
prefix = doomed.location().removeprefix("s3://lake/").rstrip("/") + "/"
before = s3c.list_objects_v2(Bucket="lake", Prefix=prefix).get("KeyCount", 0)
assert before >= 3, before  # metadata, manifest list, manifest, data
others = s3c.list_objects_v2(Bucket="lake", Prefix="s3ns/from_glue/")["KeyCount"]
rest.purge_table("s3ns.doomed")
assert not rest.table_exists("s3ns.doomed")
assert s3c.list_objects_v2(Bucket="lake", Prefix=prefix).get("KeyCount", 0) == 0
assert s3c.list_objects_v2(Bucket="lake", Prefix="s3ns/from_glue/")["KeyCount"] == others
print("ok")
