"""Symlink-manifest Delta tables (Glue's CreateNativeDeltaTable false, WriteManifest),
defined and run with boto3, on a table delta-rs writes.

    boto3_delta_manifests.py LAKECAT LAKE [S3_ENDPOINT]

LAKE is a local folder, or a bucket name when an S3 endpoint is given. The server
must allow writes under LAKE/t only (--allowed-locations). Checks:
- the manifests the crawl writes list, per partition, exactly the files delta-rs's
  own `generate()` lists for the same snapshot (a copy of the table), after a
  delete that empties a partition, a checkpoint and a later commit;
- reading the files the registered partitions' manifests name gives the table's
  rows as delta-rs reads them, partition by partition;
- a stale manifest of a partition the log no longer has is deleted; an unchanged
  table is not rewritten; the table has Delta's documented Hive shape;
- without WriteManifest the existing manifests are registered; a table without
  manifests is not registered and the run says why;
- a table outside --allowed-locations is refused before anything is written.
Every check is an assert; prints "ok".
"""
import json
import os
import sys
import uuid
from collections import defaultdict
from urllib.parse import unquote

import boto3
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from glue_crawl import run_crawler  # noqa: E402

lakecat, lake = sys.argv[1], sys.argv[2]
endpoint = sys.argv[3] if len(sys.argv) > 3 else None
DIR = "_symlink_format_manifest"
NULL = "__HIVE_DEFAULT_PARTITION__"

if endpoint:
    storage = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true", "AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
    fs = pafs.S3FileSystem(endpoint_override=endpoint, access_key="testing", secret_key="testing",
                           region="us-east-1", scheme="http")
    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                 region_name="us-east-1").create_bucket(Bucket=lake)
    base, url = f"s3://{lake}", f"s3://{lake}"
else:
    storage = None
    fs = pafs.LocalFileSystem()
    base, url = lake, f"file://{lake}"


def fs_path(u):
    """A manifest line or location as the file system's path (names unescaped)."""
    return u.removeprefix("file://").removeprefix("s3://")


def put(path, text):
    if not endpoint:
        fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    with fs.open_output_stream(path) as f:
        f.write(text.encode())


def exists(path):
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def manifests(root):
    """{partition values: set of lines} of the manifests under root/DIR."""
    out = {}
    sel = pafs.FileSelector(f"{fs_path(root)}/{DIR}", recursive=True, allow_not_found=True)
    for info in fs.get_file_info(sel):
        if info.type != pafs.FileType.File or not info.path.endswith("/manifest"):
            continue
        dir_ = info.path.split(f"/{DIR}/", 1)[1].removesuffix("manifest").strip("/")
        values = tuple(unquote(p.split("=", 1)[1]) for p in dir_.split("/") if p)
        with fs.open_input_stream(info.path) as f:
            out[values] = set(f.read().decode().splitlines())
    return out


# A table partitioned by region and hour: a null region, a value with a space and a
# colon, a delete that empties a partition, a checkpoint, a commit after it.
t = f"{base}/t"
rows = pa.table({"id": pa.array([1, 2, 3, 4], pa.int64()), "v": ["a", "b", "c", "d"],
                 "region": ["eu", "eu", "us", None],
                 "hour": ["2024-01-01 10:00", "2024-01-01 10:00", "2024-01-01 11:00", "2024-01-01 10:00"]})
write_deltalake(t, rows, partition_by=["region", "hour"], storage_options=storage)
write_deltalake(t, rows.set_column(0, "id", pa.array([5, 6, 7, 8], pa.int64())),
                partition_by=["region", "hour"], mode="append", storage_options=storage)
DeltaTable(t, storage_options=storage).delete("region = 'us'")
DeltaTable(t, storage_options=storage).create_checkpoint()
write_deltalake(t, pa.table({"id": pa.array([9], pa.int64()), "v": ["e"], "region": ["eu"],
                             "hour": ["2024-01-02 00:00"]}),
                partition_by=["region", "hour"], mode="append", storage_options=storage)
# A manifest left by an earlier generation, of a partition the log no longer has.
stale = f"{fs_path(url)}/t/{DIR}/region=us/hour=2024-01-01 11%3A00/manifest"
put(stale, f"{url}/t/region=us/hour=2024-01-01%2011%3A00/gone.parquet\n")
# An unpartitioned table without manifests.
write_deltalake(f"{base}/flat", pa.table({"k": pa.array([1], pa.int32())}), storage_options=storage)

# delta-rs's own manifests of the same snapshot, generated in a copy of the table.
copy = f"copy-{uuid.uuid4().hex[:8]}"
for info in fs.get_file_info(pafs.FileSelector(f"{fs_path(url)}/t", recursive=True)):
    if info.type == pafs.FileType.File and f"/{DIR}/" not in info.path:
        dest = info.path.replace(f"{fs_path(url)}/t/", f"{fs_path(url)}/{copy}/", 1)
        if not endpoint:
            fs.create_dir(dest.rsplit("/", 1)[0], recursive=True)
        fs.copy_file(info.path, dest)
DeltaTable(f"{base}/{copy}", storage_options=storage).generate()
expected = {}
for values, lines in manifests(f"{url}/{copy}").items():
    # delta-rs writes local paths without a scheme; both name the same files.
    expected[values] = {f"{url}/t/" + fs_path(l).split(f"/{copy}/", 1)[1] for l in lines}
assert len(expected) == 3, expected

glue = boto3.client("glue", endpoint_url=lakecat, region_name="us-east-1",
                    aws_access_key_id="testing", aws_secret_access_key="testing")


def run(name, targets, status="SUCCEEDED", create=True):
    if create:
        glue.create_crawler(Name=name, Role="r", DatabaseName=name, Targets=targets)
    last = run_crawler(glue, name)
    assert last["Status"] == status, last
    if status != "SUCCEEDED":
        return last
    summary = json.loads(glue.list_crawls(CrawlerName=name)["Crawls"][0]["Summary"])
    tables = {x["Name"]: x for x in glue.get_tables(DatabaseName=name)["TableList"]}
    return tables, summary


symlink = {"DeltaTables": [f"{url}/t"], "CreateNativeDeltaTable": False, "WriteManifest": True}
tables, summary = run("writer", {"DeltaTargets": [symlink]})
assert sorted(tables) == ["t"], (sorted(tables), summary)
tbl = tables["t"]
sd = tbl["StorageDescriptor"]
# Delta's documented Hive shape for manifest readers.
assert sd["InputFormat"] == "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat", sd
assert sd["OutputFormat"] == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat", sd
assert sd["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", sd
assert sd["Location"] == f"{url}/t/{DIR}/", sd["Location"]
assert [c["Name"] for c in sd["Columns"]] == ["id", "v"], sd["Columns"]
assert [k["Name"] for k in tbl["PartitionKeys"]] == ["region", "hour"], tbl["PartitionKeys"]
assert tbl["TableType"] == "EXTERNAL_TABLE" and "spark.sql.sources.provider" not in tbl["Parameters"], tbl

written = manifests(f"{url}/t")
assert written == expected, (written, expected)
assert not exists(stale), "the stale manifest was left"

parts = glue.get_partitions(DatabaseName="writer", TableName="t")["Partitions"]
assert sorted(tuple(p["Values"]) for p in parts) == sorted(expected), parts
# Reading what each partition's manifest names gives delta-rs's rows of that partition.
truth = defaultdict(list)
for r in DeltaTable(t, storage_options=storage).to_pyarrow_table().to_pylist():
    truth[(r["region"] or NULL, r["hour"])].append(r["id"])
assert len(truth) == 3, truth
for p in parts:
    loc = p["StorageDescriptor"]["Location"]
    assert loc.startswith(f"{url}/t/{DIR}/region="), loc
    with fs.open_input_stream(fs_path(loc) + "manifest") as f:
        files = f.read().decode().splitlines()
    ids = []
    for line in files:
        ids += pq.read_table(fs_path(line), filesystem=fs).column("id").to_pylist()
    assert sorted(ids) == sorted(truth[tuple(p["Values"])]), (p["Values"], ids)

# An unchanged table: the same entry, and no manifest rewritten.
mtimes = {i.path: i.mtime for i in fs.get_file_info(pafs.FileSelector(f"{fs_path(url)}/t/{DIR}", recursive=True))}
tables, summary = run("writer", None, create=False)
assert summary["TablesUpdated"] == 0 and summary["TablesCreated"] == 0, summary
after = {i.path: i.mtime for i in fs.get_file_info(pafs.FileSelector(f"{fs_path(url)}/t/{DIR}", recursive=True))}
assert after == mtimes, "manifests of an unchanged table were rewritten"

# Without WriteManifest: the manifests there are registered; a table without
# manifests is not, and the run says why.
tables, summary = run("reader", {"DeltaTargets": [
    {"DeltaTables": [f"{url}/t", f"{url}/flat"], "CreateNativeDeltaTable": False}]})
assert sorted(tables) == ["t"], sorted(tables)
assert tables["t"]["StorageDescriptor"]["Location"] == f"{url}/t/{DIR}/"
parts = glue.get_partitions(DatabaseName="reader", TableName="t")["Partitions"]
assert sorted(tuple(p["Values"]) for p in parts) == sorted(expected), parts
assert any("flat/" in n and "no manifest" in n for n in summary["Notes"]), summary["Notes"]
assert not exists(f"{fs_path(url)}/flat/{DIR}")

# Outside --allowed-locations: the run fails before anything is written.
last = run("outside", {"DeltaTargets": [
    {"DeltaTables": [f"{url}/flat"], "CreateNativeDeltaTable": False, "WriteManifest": True}]},
    status="FAILED")
assert "cannot create" in last["ErrorMessage"] and "--allowed-locations" in last["ErrorMessage"], last
assert not exists(f"{fs_path(url)}/flat/{DIR}")
try:
    assert glue.get_tables(DatabaseName="outside")["TableList"] == []
except glue.exceptions.EntityNotFoundException:
    pass

# A native table with WriteManifest contradicts itself: refused up front.
try:
    glue.create_crawler(Name="bad", Role="r", DatabaseName="bad", Targets={"DeltaTargets": [
        {"DeltaTables": [f"{url}/t"], "CreateNativeDeltaTable": True, "WriteManifest": True}]})
except glue.exceptions.InvalidInputException as e:
    assert "WriteManifest applies to symlink-manifest tables" in str(e), e
else:
    raise SystemExit("a native table with WriteManifest was accepted")
print("ok")
