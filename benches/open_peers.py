"""The open-format benchmark's peers, timed inside Python: DuckDB 1.4's delta_scan and
iceberg_scan reading each table's schema (argv[2] = the folder DuckDB 1.4.4 and its
extensions are installed in), and pyarrow reading every data file's schema one by one
(what a crawler that does not know the formats does). argv = ROOT DUCK_DIR [ENDPOINT]:
with ENDPOINT, the same lake copied to that S3 server as s3://open/delta and
s3://open/iceberg is read there instead. Prints one JSON line of seconds (or, for a
peer that cannot run, why)."""
import glob
import json
import os
import sys
import time

root, duck_dir = sys.argv[1], sys.argv[2]
endpoint = sys.argv[3] if len(sys.argv) > 3 else None
sys.path.insert(0, duck_dir)
import duckdb  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

# The tables, named as on local disk; on S3 the same names under s3://open.
delta = sorted(glob.glob(os.path.join(root, "delta", "*")))
iceberg = sorted(glob.glob(os.path.join(root, "iceberg", "*", "*")))
con = duckdb.connect()
ext = glob.glob(os.path.join(duck_dir, "duckdb_ext/extensions/v1.4.4/*/"))[0]
for name in ["httpfs", "avro", "iceberg", "delta"]:
    con.execute(f"LOAD '{ext}{name}.duckdb_extension'")
out = {"tables": len(delta) + len(iceberg)}


def s3_url(local):
    return "s3://open/" + os.path.relpath(local, root)


if endpoint:
    host = endpoint.split("://", 1)[1]
    con.execute(
        f"CREATE SECRET moto (TYPE s3, KEY_ID 'testing', SECRET 'testing', REGION 'us-east-1', "
        f"ENDPOINT '{host}', URL_STYLE 'path', USE_SSL false)"
    )
t = time.perf_counter()
try:
    for d in delta:
        con.execute(f"DESCRIBE SELECT * FROM delta_scan('{s3_url(d) if endpoint else d}')").fetchall()
    out["duckdb_delta_scan"] = time.perf_counter() - t
except duckdb.Error as e:
    out["duckdb_delta_scan"] = f"DuckDB's delta extension failed: {str(e).splitlines()[0]}"
if endpoint:
    # PyIceberg wrote absolute file: paths into the metadata, manifest lists and
    # manifests (Avro), so the copy on S3 still points at local disk: DuckDB would read
    # those, and a copy rewritten to S3 paths would need the lake written again.
    out["duckdb_iceberg_scan"] = "the copied Iceberg metadata names local files (PyIceberg wrote absolute paths)"
else:
    t = time.perf_counter()
    for d in iceberg:
        # No version-hint.text (SqlCatalog keeps the pointer): the newest metadata file.
        latest = max(glob.glob(os.path.join(d, "metadata", "*.metadata.json")), key=os.path.getmtime)
        con.execute(f"DESCRIBE SELECT * FROM iceberg_scan('{latest}')").fetchall()
    out["duckdb_iceberg_scan"] = time.perf_counter() - t
files = 0
if endpoint:
    from pyarrow import fs

    s3 = fs.S3FileSystem(access_key="testing", secret_key="testing", region="us-east-1",
                         endpoint_override=endpoint.split("://", 1)[1], scheme="http")
    listed = s3.get_file_info(fs.FileSelector("open", recursive=True))
    t = time.perf_counter()
    for f in listed:
        if f.path.endswith(".parquet") and "_delta_log" not in f.path:
            pq.read_schema(f.path, filesystem=s3)
            files += 1
else:
    t = time.perf_counter()
    for d in delta + iceberg:
        for f in glob.glob(os.path.join(d, "**", "*.parquet"), recursive=True):
            if "_delta_log" in f:
                continue
            pq.read_schema(f)
            files += 1
out["pyarrow_every_data_file"] = time.perf_counter() - t
out["data_files"] = files
print(json.dumps(out))
