"""Writes the ORC fixtures crawler/tests/orc_fixtures.rs reads, with pyarrow.orc (the
ORC C++ writer): every type pyarrow writes, in each compression ORC offers that the
writer has, and wide files (300 columns) whose footers really are compressed (the ORC C++ writer
keeps LZ4 footers uncompressed, so LZ4 chunks are only tested by unit tests).
Run: .venv/bin/python testdata/orc/make_fixtures.py"""
import datetime
import decimal
import os

import pyarrow as pa
import pyarrow.orc as orc

here = os.path.dirname(os.path.abspath(__file__))
t = pa.table({
    "b": pa.array([True, None]),
    "i8": pa.array([1, 2], pa.int8()),
    "i16": pa.array([1, 2], pa.int16()),
    "i32": pa.array([1, 2], pa.int32()),
    "i64": pa.array([1, 2], pa.int64()),
    "f": pa.array([1.0, 2.0], pa.float32()),
    "d": pa.array([1.0, 2.0]),
    "s": ["x", "y"],
    "bin": pa.array([b"x", b"y"]),
    "ts": pa.array([datetime.datetime(2024, 1, 1)] * 2, pa.timestamp("ns")),
    "tstz": pa.array([datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)] * 2, pa.timestamp("ns", tz="UTC")),
    "dt": pa.array([datetime.date(2024, 1, 1)] * 2),
    "dec": pa.array([decimal.Decimal("1.25")] * 2, pa.decimal128(10, 2)),
    "l": pa.array([[1], []], pa.list_(pa.int32())),
    "m": pa.array([[("a", 1)], []], pa.map_(pa.string(), pa.int64())),
    "St": pa.array([{"x": 1, "Y": "a"}] * 2, pa.struct([("x", pa.int32()), ("Y", pa.string())])),
})
for c in ["uncompressed", "zlib", "snappy", "lz4", "zstd"]:
    orc.write_table(t, f"{here}/types_{c}.orc", compression=c)
for c in ["zlib", "snappy", "zstd"]:
    wide = pa.table({f"column_with_a_long_name_{i:03}": pa.array([i], pa.int64()) for i in range(300)})
    orc.write_table(wide, f"{here}/wide_{c}.orc", compression=c)
