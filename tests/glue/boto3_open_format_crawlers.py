"""boto3 defines and runs managed crawlers with Glue's DeltaTargets, IcebergTargets and
HudiTargets over the open-format lake tests/crawl/open_formats.py wrote.

argv = lakecat endpoint, the lake's folder. Every check is an assert; prints "ok".
"""
import os
import sys

import boto3

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from glue_crawl import run_crawler  # noqa: E402

lakecat, lake = sys.argv[1], sys.argv[2]
glue = boto3.client("glue", endpoint_url=lakecat, region_name="us-east-1",
                    aws_access_key_id="testing", aws_secret_access_key="testing")
E = glue.exceptions


def run(name, targets):
    glue.create_crawler(Name=name, Role="r", DatabaseName=name, Targets=targets)
    last = run_crawler(glue, name)
    assert last["Status"] == "SUCCEEDED", last
    return {t["Name"]: t for t in glue.get_tables(DatabaseName=name)["TableList"]}


# botocore checks the shapes client-side: these are Glue's own target shapes.
tables = run("formats", {
    "DeltaTargets": [{"DeltaTables": [f"{lake}/delta/events", f"{lake}/delta/plain"],
                      "CreateNativeDeltaTable": True, "WriteManifest": False}],
    "IcebergTargets": [{"Paths": [f"{lake}/iceberg"], "MaximumTraversalDepth": 3}],
    "HudiTargets": [{"Paths": [f"{lake}"], "MaximumTraversalDepth": 3, "Exclusions": ["delta/**"]}],
})
assert sorted(tables) == ["events", "orders", "plain", "trips"], sorted(tables)
assert tables["events"]["Parameters"]["spark.sql.sources.provider"] == "delta", tables["events"]
assert tables["orders"]["Parameters"]["table_type"] == "ICEBERG", tables["orders"]
assert [k["Name"] for k in tables["trips"]["PartitionKeys"]] == ["region"], tables["trips"]
assert tables["trips"]["Parameters"]["UPDATED_BY_CRAWLER"] == "formats"
assert len(glue.get_partitions(DatabaseName="formats", TableName="trips")["Partitions"]) >= 2

# The Iceberg metadata folder is three folders below iceberg/ (db/orders/metadata):
# a depth of 2 does not reach it; a Delta path that is not a table's root finds nothing.
tables = run("shallow", {
    "IcebergTargets": [{"Paths": [f"{lake}/iceberg"], "MaximumTraversalDepth": 2}],
    "DeltaTargets": [{"DeltaTables": [f"{lake}/delta"], "CreateNativeDeltaTable": True}],
})
assert tables == {}, sorted(tables)

# Symlink-manifest Delta tables: tests/glue/boto3_delta_manifests.py.
try:
    glue.create_crawler(Name="bad", Role="r", DatabaseName="bad",
                        Targets={"IcebergTargets": [{"Paths": [lake], "MaximumTraversalDepth": 21}]})
except E.InvalidInputException as e:
    assert "MaximumTraversalDepth must be 1 to 20" in str(e), e
else:
    raise SystemExit("depth 21 was accepted")
print("ok")
