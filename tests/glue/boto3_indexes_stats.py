"""boto3: partition indexes and column statistics (run by tests/glue.rs with the
endpoint as argv[1], and the metrics URL as argv[2]).

Every check is an assert; the script prints "ok" at the end.
"""
import base64
import datetime
import sys
import urllib.request

import boto3

endpoint, metrics_url = sys.argv[1], sys.argv[2]
glue = boto3.client(
    "glue",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
)
E = glue.exceptions


def expect(exc, fn, **kw):
    try:
        fn(**kw)
    except exc as e:
        return e
    raise SystemExit(f"expected {exc.__name__} from {fn.__name__}({kw})")


def examined():
    """lakecat's count of stored partitions and index entries read by listings."""
    text = urllib.request.urlopen(metrics_url).read().decode()
    for line in text.splitlines():
        if line.startswith("lakecat_partitions_examined_total"):
            return float(line.split()[-1])
    raise SystemExit("lakecat_partitions_examined_total missing from /metrics:\n" + text)


glue.create_database(DatabaseInput={"Name": "ix"})
table_input = {
    "Name": "logs",
    "PartitionKeys": [
        {"Name": "region", "Type": "string"},
        {"Name": "year", "Type": "int"},
        {"Name": "day", "Type": "date"},
    ],
    "StorageDescriptor": {
        "Columns": [
            {"Name": "id", "Type": "bigint"},
            {"Name": "msg", "Type": "string"},
            {"Name": "ok", "Type": "boolean"},
            {"Name": "price", "Type": "decimal(10,2)"},
            {"Name": "ratio", "Type": "double"},
            {"Name": "seen", "Type": "date"},
            {"Name": "raw", "Type": "binary"},
        ],
        "Location": "s3://bucket/logs/",
    },
}

# CreateTable with an index; a bad index takes the whole table back.
bad = dict(table_input, Name="bad")
e = expect(E.InvalidInputException, glue.create_table, DatabaseName="ix", TableInput=bad,
           PartitionIndexes=[{"IndexName": "i", "Keys": ["nope"]}])
assert "nope" in str(e), e
expect(E.EntityNotFoundException, glue.get_table, DatabaseName="ix", Name="bad")
glue.create_table(DatabaseName="ix", TableInput=table_input,
                  PartitionIndexes=[{"IndexName": "by_year", "Keys": ["year"]}])

parts = []
for region in ["eu", "us", "ap"]:
    for year in range(2000, 2025):
        parts.append({"Values": [region, str(year), f"{year}-06-01"],
                      "StorageDescriptor": {"Location": f"s3://bucket/logs/{region}/{year}/"}})
for i in range(0, len(parts), 100):
    r = glue.batch_create_partition(DatabaseName="ix", TableName="logs", PartitionInputList=parts[i:i + 100])
    assert not r.get("Errors"), r


def values(expr, page=None):
    cfg = {"PageSize": page} if page else {}
    pages = glue.get_paginator("get_partitions").paginate(
        DatabaseName="ix", TableName="logs", Expression=expr, PaginationConfig=cfg)
    return sorted(tuple(p["Values"]) for pg in pages for p in pg["Partitions"])


# The index answers exactly what a scan answers and reads only its range.
before = examined()
got = values("year BETWEEN 2010 AND 2012")
assert got == sorted((r, str(y), f"{y}-06-01") for r in ["eu", "us", "ap"] for y in (2010, 2011, 2012)), got
assert examined() - before == 9, examined() - before
assert values("year BETWEEN 2010 AND 2012", page=2) == got
before = examined()
assert len(values("year > 2020 AND region = 'eu'")) == 4
assert examined() - before == 25, "equality on the leading key uses the partitions' own order"

r = glue.get_partition_indexes(DatabaseName="ix", TableName="logs")
assert r["PartitionIndexDescriptorList"] == [
    {"IndexName": "by_year", "Keys": [{"Name": "year", "Type": "int"}], "IndexStatus": "ACTIVE"}
], r
glue.create_partition_index(DatabaseName="ix", TableName="logs",
                            PartitionIndex={"IndexName": "by_day", "Keys": ["day"]})
before = examined()
assert values("day >= '2023-01-01'") == sorted(
    (r, str(y), f"{y}-06-01") for r in ["eu", "us", "ap"] for y in (2023, 2024))
assert examined() - before == 6, examined() - before
expect(E.AlreadyExistsException, glue.create_partition_index, DatabaseName="ix", TableName="logs",
       PartitionIndex={"IndexName": "by_day", "Keys": ["region"]})
glue.create_partition_index(DatabaseName="ix", TableName="logs",
                            PartitionIndex={"IndexName": "by_region_day", "Keys": ["region", "day"]})
expect(E.ResourceNumberLimitExceededException, glue.create_partition_index, DatabaseName="ix",
       TableName="logs", PartitionIndex={"IndexName": "fourth", "Keys": ["region"]})
expect(E.EntityNotFoundException, glue.create_partition_index, DatabaseName="ix", TableName="nope",
       PartitionIndex={"IndexName": "x", "Keys": ["year"]})
glue.delete_partition_index(DatabaseName="ix", TableName="logs", IndexName="by_day")
expect(E.EntityNotFoundException, glue.delete_partition_index, DatabaseName="ix", TableName="logs",
       IndexName="by_day")
names = [d["IndexName"] for pg in glue.get_paginator("get_partition_indexes").paginate(DatabaseName="ix", TableName="logs")
         for d in pg["PartitionIndexDescriptorList"]]
assert names == ["by_year", "by_region_day"], names
# Partition writes keep the index current.
glue.delete_partition(DatabaseName="ix", TableName="logs", PartitionValues=["eu", "2011", "2011-06-01"])
assert len(values("year = 2011")) == 2

# Column statistics of the table.
now = datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)


def stat(name, ctype, kind, data):
    return {"ColumnName": name, "ColumnType": ctype, "AnalyzedTime": now,
            "StatisticsData": {"Type": kind, f"{kind.capitalize()}ColumnStatisticsData": data}}


unscaled = lambda n: n.to_bytes(8, "big", signed=True)
good = [
    stat("id", "bigint", "LONG", {"MinimumValue": -5, "MaximumValue": 10**12, "NumberOfNulls": 0, "NumberOfDistinctValues": 900}),
    stat("msg", "string", "STRING", {"MaximumLength": 80, "AverageLength": 12.5, "NumberOfNulls": 3, "NumberOfDistinctValues": 40}),
    stat("ok", "boolean", "BOOLEAN", {"NumberOfTrues": 7, "NumberOfFalses": 2, "NumberOfNulls": 1}),
    stat("price", "decimal(10,2)", "DECIMAL", {"MinimumValue": {"UnscaledValue": unscaled(-150), "Scale": 2},
                                              "MaximumValue": {"UnscaledValue": unscaled(99999), "Scale": 2},
                                              "NumberOfNulls": 0, "NumberOfDistinctValues": 50}),
    stat("ratio", "double", "DOUBLE", {"MinimumValue": 0.25, "MaximumValue": 1.5, "NumberOfNulls": 0, "NumberOfDistinctValues": 9}),
    stat("seen", "date", "DATE", {"MinimumValue": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
                                  "MaximumValue": now, "NumberOfNulls": 0, "NumberOfDistinctValues": 100}),
    stat("raw", "binary", "BINARY", {"MaximumLength": 64, "AverageLength": 31.0, "NumberOfNulls": 2}),
]
bad_items = [
    stat("nosuch", "bigint", "LONG", {"NumberOfNulls": 0, "NumberOfDistinctValues": 1}),
    stat("msg", "string", "LONG", {"NumberOfNulls": 0, "NumberOfDistinctValues": 1}),
    stat("id", "bigint", "LONG", {"MinimumValue": 9, "MaximumValue": 1, "NumberOfNulls": 0, "NumberOfDistinctValues": 1}),
]
r = glue.update_column_statistics_for_table(DatabaseName="ix", TableName="logs", ColumnStatisticsList=good + bad_items)
errs = [(e["ColumnStatistics"]["ColumnName"], e["Error"]["ErrorCode"]) for e in r["Errors"]]
assert errs == [("nosuch", "EntityNotFoundException"), ("msg", "InvalidInputException"), ("id", "InvalidInputException")], r
r = glue.get_column_statistics_for_table(DatabaseName="ix", TableName="logs",
                                         ColumnNames=["id", "msg", "ok", "price", "ratio", "seen", "raw", "nosuch"])
by_name = {s["ColumnName"]: s for s in r["ColumnStatisticsList"]}
assert list(by_name) == ["id", "msg", "ok", "price", "ratio", "seen", "raw"], list(by_name)
assert [e["ColumnName"] for e in r["Errors"]] == ["nosuch"], r["Errors"]
assert by_name["id"]["StatisticsData"]["LongColumnStatisticsData"]["MaximumValue"] == 10**12
assert by_name["id"]["AnalyzedTime"] == now, by_name["id"]
dec = by_name["price"]["StatisticsData"]["DecimalColumnStatisticsData"]
assert int.from_bytes(dec["MinimumValue"]["UnscaledValue"], "big", signed=True) == -150, dec
assert by_name["seen"]["StatisticsData"]["DateColumnStatisticsData"]["MaximumValue"] == now
assert by_name["raw"]["StatisticsData"]["BinaryColumnStatisticsData"]["AverageLength"] == 31.0
e = expect(E.InvalidInputException, glue.update_column_statistics_for_table, DatabaseName="ix",
           TableName="logs", ColumnStatisticsList=[good[0]] * 26)
glue.delete_column_statistics_for_table(DatabaseName="ix", TableName="logs", ColumnName="ratio")
expect(E.EntityNotFoundException, glue.delete_column_statistics_for_table, DatabaseName="ix",
       TableName="logs", ColumnName="ratio")

# Column statistics of a partition are its own.
pv = ["us", "2024", "2024-06-01"]
r = glue.update_column_statistics_for_partition(DatabaseName="ix", TableName="logs", PartitionValues=pv,
                                                ColumnStatisticsList=[good[0]])
assert not r["Errors"], r
r = glue.get_column_statistics_for_partition(DatabaseName="ix", TableName="logs", PartitionValues=pv,
                                             ColumnNames=["id", "msg"])
assert [s["ColumnName"] for s in r["ColumnStatisticsList"]] == ["id"]
assert [e["ColumnName"] for e in r["Errors"]] == ["msg"]
expect(E.EntityNotFoundException, glue.get_column_statistics_for_partition, DatabaseName="ix",
       TableName="logs", PartitionValues=["us", "1999", "1999-06-01"], ColumnNames=["id"])
glue.delete_column_statistics_for_partition(DatabaseName="ix", TableName="logs", PartitionValues=pv, ColumnName="id")
r = glue.get_column_statistics_for_partition(DatabaseName="ix", TableName="logs", PartitionValues=pv, ColumnNames=["id"])
assert r["ColumnStatisticsList"] == [], r

# A type change makes the old statistics stale.
t = glue.get_table(DatabaseName="ix", Name="logs")["Table"]
cols = t["StorageDescriptor"]["Columns"]
cols[1]["Type"] = "varchar(100)"
glue.update_table(DatabaseName="ix", TableInput={"Name": "logs", "PartitionKeys": t["PartitionKeys"],
                                                  "StorageDescriptor": t["StorageDescriptor"]})
r = glue.get_column_statistics_for_table(DatabaseName="ix", TableName="logs", ColumnNames=["msg", "id"])
assert [s["ColumnName"] for s in r["ColumnStatisticsList"]] == ["id"], r
# Changing an indexed key is refused while the index exists.
keys = [dict(k) for k in t["PartitionKeys"]]
keys[1]["Type"] = "bigint"
expect(E.InvalidInputException, glue.update_table, DatabaseName="ix",
       TableInput={"Name": "logs", "PartitionKeys": keys, "StorageDescriptor": t["StorageDescriptor"]})

print("ok")
