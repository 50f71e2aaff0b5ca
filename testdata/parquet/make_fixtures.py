"""Writes the small Parquet fixtures in this folder with pyarrow, each in the
shape another writer produces (run: .venv/bin/python testdata/parquet/make_fixtures.py).

The files are committed; crawler/tests/parquet_fixtures.rs checks what lakecat
infers from each. Spark, Hive and Impala themselves are not run here: their
characteristic encodings (INT96 timestamps, legacy two-level lists, Spark's
name sanitising, decimals stored as integers) are reproduced with pyarrow's
options for exactly those writers.
"""
import datetime as dt
import decimal
import os

import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))

table = pa.table(
    {
        "id": pa.array([1, 2], pa.int64()),
        "small": pa.array([1, 2], pa.int16()),
        "name": pa.array(["a", None], pa.string()),
        "price": pa.array([decimal.Decimal("1.25"), None], pa.decimal128(9, 2)),
        "big": pa.array([decimal.Decimal("12345678901234.5678"), None], pa.decimal128(30, 4)),
        "at": pa.array([dt.datetime(2024, 1, 1, 10), None], pa.timestamp("us")),
        "day": pa.array([dt.date(2024, 1, 1), None], pa.date32()),
        "tags": pa.array([["x", "y"], []], pa.list_(pa.string())),
        "attrs": pa.array([[("k", 1)], None], pa.map_(pa.string(), pa.int32())),
        "geo": pa.array([{"lat": 1.0, "lon": 2.0}, None], pa.struct([("lat", pa.float64()), ("lon", pa.float64())])),
        "points": pa.array([[{"x": 1}], None], pa.list_(pa.struct([("x", pa.int32())]))),
        "dict": pa.array(["a", "b"]).dictionary_encode(),
    }
)

def write(name, **kw):
    pq.write_table(table, os.path.join(HERE, name), **kw)

write("pyarrow_default.parquet")
# Impala and Hive write INT96 timestamps.
write("int96_timestamps.parquet", use_deprecated_int96_timestamps=True, compression="gzip")
# Old parquet-mr / Hive / pyarrow < 13: two-level lists named "array"/"bag".
write("legacy_lists.parquet", use_compliant_nested_type=False, compression="zstd")
# Decimals stored as INT32/INT64 where they fit (parquet-mr's writeLegacyFormat=false).
write("decimals_as_integers.parquet", store_decimal_as_integer=True, compression="none")
# Spark's flavour: INT96 timestamps and sanitised names.
write("spark_flavor.parquet", flavor="spark", store_schema=False)
