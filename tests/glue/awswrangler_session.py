"""awswrangler (AWS SDK for pandas) against lakecat's Glue API and a moto S3 server:
argv = lakecat endpoint, S3 endpoint. Its catalog helpers (name_contains/prefix/suffix
send Glue's `*` patterns), and a partitioned Parquet dataset written to S3 and
registered in the catalog, read back through the catalog. Prints "ok"."""
import os
import sys

import boto3

lakecat, s3_endpoint = sys.argv[1], sys.argv[2]
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

import awswrangler as wr  # noqa: E402 (reads the environment above)
import pandas as pd  # noqa: E402

wr.config.glue_endpoint_url = lakecat
wr.config.s3_endpoint_url = s3_endpoint
boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="lake")

wr.catalog.create_database("wr")
for name in ["sales", "sa", "orders"]:
    wr.catalog.create_parquet_table(database="wr", table=name, path=f"s3://lake/{name}/",
                                    columns_types={"id": "bigint", "v": "string"})


def names(**kw):
    return sorted(t["Name"] for t in wr.catalog.get_tables(database="wr", **kw))


assert names(name_contains="ale") == ["sales"], names(name_contains="ale")
assert names(name_prefix="sal") == ["sales"], names(name_prefix="sal")
assert names(name_suffix="les") == ["sales"], names(name_suffix="les")
assert names(name_prefix="sa") == ["sa", "sales"], names(name_prefix="sa")
tables = wr.catalog.tables(database="wr")
assert sorted(tables["Table"]) == ["orders", "sa", "sales"], tables
assert wr.catalog.does_table_exist(database="wr", table="orders")
assert not wr.catalog.does_table_exist(database="wr", table="nope")

# A dataset: Parquet files in S3, the table and its partitions in lakecat.
df = pd.DataFrame({"id": [1, 2, 3, 4], "v": ["a", "b", "c", "d"], "dt": ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-03"]})
wr.s3.to_parquet(df=df, path="s3://lake/events/", dataset=True, database="wr", table="events", partition_cols=["dt"])
parts = wr.catalog.get_partitions(database="wr", table="events")
assert sorted(v[0] for v in parts.values()) == ["2024-01-01", "2024-01-02", "2024-01-03"], parts
back = wr.s3.read_parquet_table(database="wr", table="events")
assert sorted(back["id"].tolist()) == [1, 2, 3, 4], back
pruned = wr.s3.read_parquet_table(database="wr", table="events", partition_filter=lambda p: p["dt"] == "2024-01-01")
assert sorted(pruned["id"].tolist()) == [1, 2], pruned
# Appending adds a partition; the schema the catalog holds is the dataset's.
wr.s3.to_parquet(df=pd.DataFrame({"id": [5], "v": ["e"], "dt": ["2024-01-04"]}), path="s3://lake/events/",
                 dataset=True, mode="append", database="wr", table="events", partition_cols=["dt"])
assert len(wr.catalog.get_partitions(database="wr", table="events")) == 4
types = wr.catalog.get_table_types(database="wr", table="events")
assert types == {"id": "bigint", "v": "string", "dt": "string"}, types
print("ok")
