"""The open-format benchmark's peers, timed inside Python: DuckDB 1.4's delta_scan and
iceberg_scan reading each table's schema (argv[2] = the folder DuckDB 1.4.4 and its
extensions are installed in), and pyarrow reading every data file's schema one by one
(what a crawler that does not know the formats does). argv = ROOT DUCK_DIR. Prints one JSON
line of seconds."""
import glob
import json
import os
import sys
import time

root, duck_dir = sys.argv[1], sys.argv[2]
sys.path.insert(0, duck_dir)
import duckdb  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

delta = sorted(glob.glob(os.path.join(root, "delta", "*")))
iceberg = sorted(glob.glob(os.path.join(root, "iceberg", "*", "*")))
con = duckdb.connect()
ext = glob.glob(os.path.join(duck_dir, "duckdb_ext/extensions/v1.4.4/*/"))[0]
for name in ["httpfs", "avro", "iceberg", "delta"]:
    con.execute(f"LOAD '{ext}{name}.duckdb_extension'")
out = {"tables": len(delta) + len(iceberg)}
t = time.perf_counter()
for d in delta:
    con.execute(f"DESCRIBE SELECT * FROM delta_scan('{d}')").fetchall()
out["duckdb_delta_scan"] = time.perf_counter() - t
t = time.perf_counter()
for d in iceberg:
    # No version-hint.text (SqlCatalog keeps the pointer): the newest metadata file.
    latest = max(glob.glob(os.path.join(d, "metadata", "*.metadata.json")), key=os.path.getmtime)
    con.execute(f"DESCRIBE SELECT * FROM iceberg_scan('{latest}')").fetchall()
out["duckdb_iceberg_scan"] = time.perf_counter() - t
t = time.perf_counter()
files = 0
for d in delta + iceberg:
    for f in glob.glob(os.path.join(d, "**", "*.parquet"), recursive=True):
        if "_delta_log" in f:
            continue
        pq.read_schema(f)
        files += 1
out["pyarrow_every_data_file"] = time.perf_counter() - t
out["data_files"] = files
print(json.dumps(out))
