"""One sequential boto3 Glue client, for benches/glue.rs.

    glue_client.py ENDPOINT setup                 create database `bench` and table `events`
    glue_client.py ENDPOINT get_table SECONDS     GetTable in a loop
    glue_client.py ENDPOINT get_partitions SECONDS EXPRESSION EXPECTED

Prints one JSON line: calls, calls per second, p50 and p99 in milliseconds.
"""
import json
import sys
import time

import boto3

endpoint, mode = sys.argv[1], sys.argv[2]
glue = boto3.client("glue", endpoint_url=endpoint, region_name="us-east-1",
                    aws_access_key_id="test", aws_secret_access_key="test")

if mode == "setup":
    glue.create_database(DatabaseInput={"Name": "bench"})
    glue.create_table(DatabaseName="bench", TableInput={
        "Name": "events",
        "TableType": "EXTERNAL_TABLE",
        "PartitionKeys": [{"Name": "region", "Type": "string"}, {"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {
            "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "payload", "Type": "string"}],
            "Location": "s3://bench/events/",
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
        },
    })
    print(json.dumps({"ok": True}))
    sys.exit(0)

seconds = float(sys.argv[3])
if mode == "get_table":
    call = lambda: glue.get_table(DatabaseName="bench", Name="events")
    check = lambda r: r["Table"]["Name"] == "events"
else:
    expression, expected = sys.argv[4], int(sys.argv[5])
    call = lambda: glue.get_partitions(DatabaseName="bench", TableName="events", Expression=expression)
    check = lambda r: len(r["Partitions"]) == expected

call()  # connection set up outside the timing
lat = []
end = time.perf_counter() + seconds
while time.perf_counter() < end:
    t = time.perf_counter()
    r = call()
    lat.append(time.perf_counter() - t)
    assert check(r), r
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] * 1000
print(json.dumps({"calls": len(lat), "per_s": len(lat) / sum(lat), "p50_ms": pct(0.5), "p99_ms": pct(0.99)}))
