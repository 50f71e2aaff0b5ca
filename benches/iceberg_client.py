"""One sequential PyIceberg client, for benches/iceberg.rs.

    iceberg_client.py rest URI - MODE [SECONDS]           lakecat's Iceberg REST front
    iceberg_client.py sql SQLITE_FILE WAREHOUSE MODE [SECONDS]   PyIceberg's SqlCatalog on SQLite

MODE is `setup` (namespace `bench`, table `bench.t` with one row), `load_table` (loadTable
in a loop) or `append` (one-row appends in a loop: a data file, a manifest, a manifest list
and a metadata file each, then the commit). Prints one JSON line: calls, calls per second,
p50 and p99 in milliseconds.
"""
import json
import sys
import time

import pyarrow as pa
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType

kind, uri, warehouse, mode = sys.argv[1:5]
io = {"py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO"}
if kind == "rest":
    from pyiceberg.catalog.rest import RestCatalog
    catalog = RestCatalog("bench", uri=uri, **io)
else:
    from pyiceberg.catalog.sql import SqlCatalog
    catalog = SqlCatalog("bench", uri=f"sqlite:///{uri}", warehouse=f"file://{warehouse}", **io)
row = pa.table({"id": pa.array([1], pa.int64()), "v": pa.array(["x"])})

if mode == "setup":
    # lakecat puts the table in its warehouse; SqlCatalog in WAREHOUSE.
    catalog.create_namespace("bench")
    schema = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "v", StringType(), required=False))
    catalog.create_table("bench.t", schema=schema).append(row)
    print(json.dumps({"ok": True}))
    sys.exit(0)

seconds = float(sys.argv[5])
table = catalog.load_table("bench.t")
if mode == "load_table":
    def call():
        assert catalog.load_table("bench.t").metadata.current_snapshot_id is not None
else:
    def call():
        table.append(row)

call()  # connections and caches set up outside the timing
lat = []
end = time.perf_counter() + seconds
while time.perf_counter() < end:
    t = time.perf_counter()
    call()
    lat.append(time.perf_counter() - t)
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] * 1000
print(json.dumps({"calls": len(lat), "per_s": len(lat) / sum(lat), "p50_ms": pct(0.5), "p99_ms": pct(0.99)}))
