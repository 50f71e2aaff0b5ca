"""One sequential hmsclient, for benches/hms.rs: argv = host:port, partitions.

Prints one JSON line: get_table ms/call, seconds to register the partitions (batches
of 100 with add_partitions), get_partitions_by_filter (a range, then a `like`) and
get_partition_names ms.
"""
import json
import sys
import time

from hmsclient import hmsclient
from hmsclient.genthrift.hive_metastore import ttypes as T

host, port = sys.argv[1].rsplit(":", 1)
n = int(sys.argv[2])
days = max(1, n // 24)

sd = lambda loc: T.StorageDescriptor(
    cols=[T.FieldSchema("id", "bigint", ""), T.FieldSchema("v", "string", "")], location=loc,
    inputFormat="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    outputFormat="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    serdeInfo=T.SerDeInfo(serializationLib="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", parameters={}),
    parameters={})
out = {}
with hmsclient.HMSClient(host=host, port=int(port)) as c:
    c.create_database(T.Database(name="bench", locationUri="file:/tmp/lakecat-bench-hms", parameters={}))
    c.create_table(T.Table(tableName="events", dbName="bench", sd=sd("file:/tmp/lakecat-bench-hms/events"),
                           partitionKeys=[T.FieldSchema("dt", "string", ""), T.FieldSchema("hour", "int", "")],
                           parameters={}, tableType="EXTERNAL_TABLE"))
    c.get_table("bench", "events")
    k = 2000
    t = time.perf_counter()
    for _ in range(k):
        c.get_table("bench", "events")
    out["get_table_ms"] = (time.perf_counter() - t) * 1000 / k
    parts = [T.Partition(values=[f"d-{i // 24:05d}", str(i % 24)], dbName="bench", tableName="events",
                         sd=sd(f"file:/tmp/lakecat-bench-hms/events/dt=d-{i // 24:05d}/hour={i % 24}"), parameters={})
             for i in range(n)]
    t = time.perf_counter()
    for i in range(0, n, 100):
        c.add_partitions(parts[i:i + 100])
    out["register_s"] = time.perf_counter() - t
    lo, hi = days // 4, days // 4 + max(1, days // 100)
    flt = f'dt >= "d-{lo:05d}" and dt < "d-{hi:05d}"'
    c.get_partitions_by_filter("bench", "events", flt, -1)
    t = time.perf_counter()
    got = c.get_partitions_by_filter("bench", "events", flt, -1)
    out["by_filter_ms"] = (time.perf_counter() - t) * 1000
    out["by_filter_partitions"] = len(got)
    # Spark's pushdown of `dt LIKE 'd-0001%'`: a Java regular expression in Hive.
    like = 'dt like "d-0001.*"'
    c.get_partitions_by_filter("bench", "events", like, -1)
    t = time.perf_counter()
    got = c.get_partitions_by_filter("bench", "events", like, -1)
    out["like_ms"] = (time.perf_counter() - t) * 1000
    out["like_partitions"] = len(got)
    t = time.perf_counter()
    names = c.get_partition_names("bench", "events", -1)
    out["names_ms"] = (time.perf_counter() - t) * 1000
    assert len(names) == n, len(names)
print(json.dumps(out))
