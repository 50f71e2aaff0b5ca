"""boto3 against lakecat's Glue front (run by tests/glue.rs with the endpoint as argv[1]).

Every check is an assert; the script prints "ok" at the end.
"""
import sys
import threading

import boto3
import botocore

endpoint = sys.argv[1]
glue = boto3.client(
    "glue",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
)
E = glue.exceptions

# Databases
glue.create_database(DatabaseInput={"Name": "Sales", "Description": "numbers", "Parameters": {"Team": "ops"}})
d = glue.get_database(Name="sales")["Database"]
assert d["Name"] == "sales" and d["Description"] == "numbers" and d["Parameters"] == {"Team": "ops"}, d
assert hasattr(d["CreateTime"], "year"), d  # epoch seconds parsed into a datetime
try:
    glue.create_database(DatabaseInput={"Name": "sales"})
    raise SystemExit("expected AlreadyExistsException")
except E.AlreadyExistsException:
    pass
try:
    glue.get_database(Name="nope")
    raise SystemExit("expected EntityNotFoundException")
except E.EntityNotFoundException as e:
    assert "nope" in str(e)
for i in range(5):
    glue.create_database(DatabaseInput={"Name": f"db{i}"})
names = [d["Name"] for p in glue.get_paginator("get_databases").paginate(PaginationConfig={"PageSize": 2}) for d in p["DatabaseList"]]
assert names == ["db0", "db1", "db2", "db3", "db4", "sales"], names
glue.update_database(Name="db0", DatabaseInput={"Name": "db0", "Description": "zero"})
assert glue.get_database(Name="db0")["Database"]["Description"] == "zero"

# Tables
table_input = {
    "Name": "events",
    "TableType": "EXTERNAL_TABLE",
    "Parameters": {"classification": "parquet"},
    "PartitionKeys": [{"Name": "dt", "Type": "string"}, {"Name": "hour", "Type": "int"}],
    "StorageDescriptor": {
        "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "payload", "Type": "struct<a:int,b:array<string>>"}],
        "Location": "s3://bucket/events/",
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", "Parameters": {"serialization.format": "1"}},
        "NumberOfBuckets": -1,
        "Compressed": False,
    },
}
glue.create_table(DatabaseName="sales", TableInput=table_input, CatalogId="123456789012")
t = glue.get_table(DatabaseName="sales", Name="events")["Table"]
assert t["DatabaseName"] == "sales" and t["VersionId"] == "1", t
assert t["StorageDescriptor"]["Columns"][1]["Type"] == "struct<a:int,b:array<string>>", t
assert t["StorageDescriptor"]["SerdeInfo"]["Parameters"] == {"serialization.format": "1"}, t
try:
    glue.create_table(DatabaseName="sales", TableInput={"Name": "bad", "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "strng"}]}})
    raise SystemExit("expected InvalidInputException")
except E.InvalidInputException as e:
    assert "strng" in str(e), e
try:
    glue.get_table(DatabaseName="sales", Name="nope")
    raise SystemExit("expected EntityNotFoundException")
except E.EntityNotFoundException:
    pass
for i in range(3):
    glue.create_table(DatabaseName="sales", TableInput={"Name": f"t{i}", "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}]}})
pages = list(glue.get_paginator("get_tables").paginate(DatabaseName="sales", PaginationConfig={"PageSize": 2}))
assert [t["Name"] for p in pages for t in p["TableList"]] == ["events", "t0", "t1", "t2"], pages
assert [t["Name"] for t in glue.get_tables(DatabaseName="sales", Expression="t[12]")["TableList"]] == ["t1", "t2"]
# Glue's Expression: `*` is any characters (awswrangler's name_contains/prefix/suffix
# send `*ale*`, `sal*`, `*les`), alternatives split on `|`, the whole name matched.
glue.create_table(DatabaseName="sales", TableInput={"Name": "sa", "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}]}})
names = lambda e: [t["Name"] for t in glue.get_tables(DatabaseName="sales", Expression=e)["TableList"]]
assert names("sal*") == [] and names("*ven*") == ["events"] and names("ev*") == ["events"], (names("sal*"), names("*ven*"))
assert names("*nts") == ["events"] and names("t0|T1") == ["t0", "t1"] and names("s*") == ["sa"], names("*nts")
glue.delete_table(DatabaseName="sales", Name="sa")

# Optimistic concurrency: of two writers at version 1, exactly one wins.
results = []
def writer(desc):
    ti = dict(table_input, Description=desc)
    try:
        glue.update_table(DatabaseName="sales", TableInput=ti, VersionId="1")
        results.append("ok")
    except E.ConcurrentModificationException:
        results.append("conflict")
threads = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(2)]
[th.start() for th in threads]
[th.join() for th in threads]
assert sorted(results) == ["conflict", "ok"], results
versions = glue.get_table_versions(DatabaseName="sales", TableName="events")["TableVersions"]
assert [v["VersionId"] for v in versions] == ["2", "1"], versions
assert glue.get_table_version(DatabaseName="sales", TableName="events", VersionId="1")["TableVersion"]["Table"].get("Description") is None
glue.update_table(DatabaseName="sales", TableInput=dict(table_input, Description="skip"), SkipArchive=True)
assert len(glue.get_table_versions(DatabaseName="sales", TableName="events")["TableVersions"]) == 2

glue.update_table(DatabaseName="sales", TableInput=dict(table_input, Description="third"))
# (version 2 was replaced with SkipArchive, so it was never kept)
assert [v["VersionId"] for v in glue.get_table_versions(DatabaseName="sales", TableName="events")["TableVersions"]] == ["4", "3", "1"]
glue.delete_table_version(DatabaseName="sales", TableName="events", VersionId="1")
r = glue.batch_delete_table_version(DatabaseName="sales", TableName="events", VersionIds=["3", "4", "77"])
assert sorted(e["ErrorDetail"]["ErrorCode"] for e in r["Errors"]) == ["EntityNotFoundException", "InvalidInputException"], r
assert [v["VersionId"] for v in glue.get_table_versions(DatabaseName="sales", TableName="events")["TableVersions"]] == ["4"]
glue.update_table(DatabaseName="sales", TableInput=dict(table_input, Description="skip"), SkipArchive=True)

# Partitions
def part(dt, hour):
    return {"Values": [dt, str(hour)], "StorageDescriptor": dict(table_input["StorageDescriptor"], Location=f"s3://bucket/events/dt={dt}/hour={hour}/")}
r = glue.batch_create_partition(DatabaseName="sales", TableName="events", PartitionInputList=[part("2024-01-01", h) for h in range(24)])
assert r["Errors"] == [], r
r = glue.batch_create_partition(DatabaseName="sales", TableName="events", PartitionInputList=[part("2024-01-01", 1), part("2024-01-02", 1), {"Values": ["x"]}])
codes = sorted(e["ErrorDetail"]["ErrorCode"] for e in r["Errors"])
assert codes == ["AlreadyExistsException", "InvalidInputException"], r
p = glue.get_partition(DatabaseName="sales", TableName="events", PartitionValues=["2024-01-01", "5"])["Partition"]
assert p["Values"] == ["2024-01-01", "5"] and hasattr(p["CreationTime"], "year"), p
got = [p["Values"] for pg in glue.get_paginator("get_partitions").paginate(DatabaseName="sales", TableName="events", Expression="dt = '2024-01-01' AND hour > 20", PaginationConfig={"PageSize": 2}) for p in pg["Partitions"]]
assert sorted(got) == [["2024-01-01", "21"], ["2024-01-01", "22"], ["2024-01-01", "23"]], got
segs = [len(glue.get_partitions(DatabaseName="sales", TableName="events", Segment={"SegmentNumber": i, "TotalSegments": 3})["Partitions"]) for i in range(3)]
assert sum(segs) == 25, segs
nocols = glue.get_partitions(DatabaseName="sales", TableName="events", ExcludeColumnSchema=True, MaxResults=1)["Partitions"][0]
assert "Columns" not in nocols["StorageDescriptor"], nocols
try:
    glue.get_partitions(DatabaseName="sales", TableName="events", Expression="hour = 'x'")
    raise SystemExit("expected InvalidInputException")
except E.InvalidInputException:
    pass
r = glue.batch_get_partition(DatabaseName="sales", TableName="events", PartitionsToGet=[{"Values": ["2024-01-01", "1"]}, {"Values": ["2030-01-01", "1"]}])
assert [p["Values"] for p in r["Partitions"]] == [["2024-01-01", "1"]], r
for db, table in [("sales", "nope"), ("nodb", "events")]:
    try:
        glue.batch_get_partition(DatabaseName=db, TableName=table, PartitionsToGet=[{"Values": ["2024-01-01", "1"]}])
        raise SystemExit("expected EntityNotFoundException")
    except E.EntityNotFoundException:
        pass
glue.update_partition(DatabaseName="sales", TableName="events", PartitionValueList=["2024-01-02", "1"], PartitionInput=dict(part("2024-01-02", 1), Parameters={"k": "v"}))
assert glue.get_partition(DatabaseName="sales", TableName="events", PartitionValues=["2024-01-02", "1"])["Partition"]["Parameters"] == {"k": "v"}
r = glue.batch_update_partition(DatabaseName="sales", TableName="events", Entries=[
    {"PartitionValueList": ["2024-01-01", "3"], "PartitionInput": dict(part("2024-01-01", 3), Parameters={"batch": "1"})},
    {"PartitionValueList": ["2030-01-01", "3"], "PartitionInput": part("2030-01-01", 3)},
])
assert [e["ErrorDetail"]["ErrorCode"] for e in r["Errors"]] == ["EntityNotFoundException"], r
assert glue.get_partition(DatabaseName="sales", TableName="events", PartitionValues=["2024-01-01", "3"])["Partition"]["Parameters"] == {"batch": "1"}
r = glue.batch_delete_partition(DatabaseName="sales", TableName="events", PartitionsToDelete=[{"Values": ["2024-01-01", "1"]}, {"Values": ["2030-01-01", "1"]}])
assert [e["ErrorDetail"]["ErrorCode"] for e in r["Errors"]] == ["EntityNotFoundException"], r
glue.delete_partition(DatabaseName="sales", TableName="events", PartitionValues=["2024-01-01", "2"])
try:
    glue.delete_partition(DatabaseName="sales", TableName="events", PartitionValues=["2024-01-01", "2"])
    raise SystemExit("expected EntityNotFoundException")
except E.EntityNotFoundException:
    pass

# Filter expressions through boto3: types, IN, BETWEEN, LIKE, NOT, parentheses, quoting, errors.
glue.create_table(DatabaseName="db2", TableInput={"Name": "f", "PartitionKeys": [
    {"Name": "region", "Type": "string"}, {"Name": "day", "Type": "date"}, {"Name": "n", "Type": "int"}],
    "StorageDescriptor": {"Columns": [{"Name": "x", "Type": "int"}]}})
rows = [("eu", "2024-01-01", 1), ("eu", "2024-01-02", 5), ("us", "2024-02-01", 10), ("o'hare", "2024-03-01", 20)]
glue.batch_create_partition(DatabaseName="db2", TableName="f", PartitionInputList=[{"Values": [r, d, str(n)]} for r, d, n in rows])
cases = [
    ("", 4),
    ("region = 'eu'", 2),
    ("n > 4", 3),
    ("n = '5'", 1),
    ("n IN (1, 10)", 2),
    ("n BETWEEN 5 AND 10", 2),
    ("NOT (n BETWEEN 5 AND 10)", 2),
    ("day >= '2024-02-01'", 2),
    ("region LIKE 'e%'", 2),
    ("region NOT LIKE 'e_'", 2),
    ("region = 'o''hare'", 1),
    ("(region = 'eu' AND n > 1) OR n >= 20", 2),
    ("region IS NULL", 0),
    ("region IS NOT NULL", 4),
]
for expr, want in cases:
    got = glue.get_partitions(DatabaseName="db2", TableName="f", Expression=expr)["Partitions"]
    assert len(got) == want, (expr, want, [p["Values"] for p in got])
for bad in ["n > 'x'", "region = 5", "day = '2024-13-01'", "nokey = 1", "n >", "region = 'eu' AND"]:
    try:
        glue.get_partitions(DatabaseName="db2", TableName="f", Expression=bad)
        raise SystemExit(f"expected InvalidInputException for {bad!r}")
    except E.InvalidInputException:
        pass

# SearchTables: tokenised name matching, filters, sorting, paginator.
for name in ["customer-link", "xxlinkyy", "link_orders"]:
    glue.create_table(DatabaseName="db1", TableInput={"Name": name, "Description": "d", "Parameters": {"team": "ops" if name != "xxlinkyy" else "bi"}, "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}]}})
# (this boto3 has no search_tables paginator: NextToken by hand)
found, token = [], None
while True:
    page = glue.search_tables(SearchText="link", MaxResults=1, **({"NextToken": token} if token else {}))
    found += [t["Name"] for t in page["TableList"]]
    token = page.get("NextToken")
    if not token:
        break
found.sort()
assert found == ["customer-link", "link_orders"], found
r = glue.search_tables(Filters=[{"Key": "Name", "Value": "link"}, {"Key": "team", "Value": "ops"}], SortCriteria=[{"FieldName": "Name", "Sort": "DESC"}])
assert [t["Name"] for t in r["TableList"]] == ["link_orders", "customer-link"], r
assert [t["Name"] for t in glue.search_tables(SearchText='"xxlinkyy"')["TableList"]] == ["xxlinkyy"]
assert glue.search_tables(Filters=[{"Key": "DatabaseName", "Value": "db1"}])["TableList"][0]["DatabaseName"] == "db1"

# User-defined functions
fn_input = {"FunctionName": "Upper", "ClassName": "com.example.Upper", "OwnerName": "ann", "OwnerType": "USER",
            "ResourceUris": [{"ResourceType": "JAR", "Uri": "s3://b/udf.jar"}]}
glue.create_user_defined_function(DatabaseName="sales", FunctionInput=fn_input)
glue.create_user_defined_function(DatabaseName="db1", FunctionInput=dict(fn_input, FunctionName="lower_it"))
f = glue.get_user_defined_function(DatabaseName="sales", FunctionName="upper")["UserDefinedFunction"]
assert f["FunctionName"] == "upper" and f["ResourceUris"][0]["Uri"] == "s3://b/udf.jar" and hasattr(f["CreateTime"], "year"), f
try:
    glue.create_user_defined_function(DatabaseName="sales", FunctionInput=fn_input)
    raise SystemExit("expected AlreadyExistsException")
except E.AlreadyExistsException:
    pass
names = sorted(f["FunctionName"] for p in glue.get_paginator("get_user_defined_functions").paginate(Pattern="*", PaginationConfig={"PageSize": 1}) for f in p["UserDefinedFunctions"])
assert names == ["lower_it", "upper"], names
assert [f["FunctionName"] for f in glue.get_user_defined_functions(DatabaseName="sales", Pattern="up*")["UserDefinedFunctions"]] == ["upper"]
glue.update_user_defined_function(DatabaseName="sales", FunctionName="upper", FunctionInput=dict(fn_input, ClassName="com.example.Upper2"))
assert glue.get_user_defined_function(DatabaseName="sales", FunctionName="upper")["UserDefinedFunction"]["ClassName"] == "com.example.Upper2"
glue.delete_user_defined_function(DatabaseName="sales", FunctionName="upper")
try:
    glue.get_user_defined_function(DatabaseName="sales", FunctionName="upper")
    raise SystemExit("expected EntityNotFoundException")
except E.EntityNotFoundException:
    pass

# Batch table deletion with a per-item error, then the database.
r = glue.batch_delete_table(DatabaseName="sales", TablesToDelete=["t0", "nope"])
assert [e["TableName"] for e in r["Errors"]] == ["nope"], r
glue.delete_table(DatabaseName="sales", Name="t1")
glue.delete_database(Name="db4")

# An operation lakecat does not serve.
try:
    glue.get_jobs()
    raise SystemExit("expected an error")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "UnknownOperationException", e.response

print("ok")
