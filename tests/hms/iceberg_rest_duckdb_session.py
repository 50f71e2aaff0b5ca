"""DuckDB 1.4 with its iceberg extension (the PyPI extension packages, loaded from their
files: nothing is downloaded) against lakecat's Iceberg REST front, beside PyIceberg's
RestCatalog: argv = base URL of a server without authentication, scratch folder, base URL
of a server under `--auth sigv4 --access-keys AKIDDUCK:duck-secret`, the folder DuckDB
1.4.4 is installed in. DuckDB lists and reads what PyIceberg wrote, inserts into and
creates tables PyIceberg reads back, and signs in with OAuth2 client credentials. Prints "ok"."""
import glob
import os
import sys

base, scratch, locked, duck_dir = sys.argv[1:5]
sys.path.insert(0, duck_dir)
import duckdb  # noqa: E402  (DuckDB 1.4.4 from duck_dir, whatever else .venv holds)
import pyarrow as pa  # noqa: E402
from pyiceberg.catalog.rest import RestCatalog  # noqa: E402
from pyiceberg.partitioning import PartitionField, PartitionSpec  # noqa: E402
from pyiceberg.schema import Schema  # noqa: E402
from pyiceberg.transforms import IdentityTransform  # noqa: E402
from pyiceberg.types import LongType, NestedField, StringType  # noqa: E402

assert duckdb.__version__ == "1.4.4", duckdb.__version__
io = {"py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO"}
rest = RestCatalog("lake", uri=f"{base}/iceberg", **io)
rest.create_namespace("duck", {"location": f"file://{scratch}/duck"})
schema = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "region", StringType(), required=False))
spec = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="region"))
events = rest.create_table("duck.events", schema=schema, partition_spec=spec)
events.append(pa.table({"id": pa.array([1, 2, 3, 4], pa.int64()), "region": pa.array(["eu", "eu", "us", "ap"])}))


def connect():
    con = duckdb.connect()
    ext = glob.glob(os.path.join(duck_dir, "duckdb_ext/extensions/v1.4.4/*/"))[0]
    for name in ["httpfs", "avro", "iceberg"]:
        con.execute(f"LOAD '{ext}{name}.duckdb_extension'")
    return con


con = connect()
con.execute(f"ATTACH 'lake' AS lake (TYPE iceberg, ENDPOINT '{base}/iceberg', AUTHORIZATION_TYPE 'none')")
tables = {(r[1], r[2]) for r in con.execute("SHOW ALL TABLES").fetchall() if r[0] == "lake"}
assert ("duck", "events") in tables, tables
assert con.execute("SELECT count(*), sum(id) FROM lake.duck.events WHERE region = 'eu'").fetchone() == (2, 3)
assert con.execute("SELECT id FROM lake.duck.events ORDER BY id").fetchall() == [(1,), (2,), (3,), (4,)]

# DuckDB writes (DuckDB 1.4 inserts into unpartitioned tables only); PyIceberg reads it
# back, one snapshot more.
plain = rest.create_table("duck.plain", schema=schema)
plain.append(pa.table({"id": pa.array([1, 2], pa.int64()), "region": pa.array(["eu", "us"])}))
con.execute("INSERT INTO lake.duck.plain VALUES (5, 'eu'), (6, 'sa')")
again = rest.load_table("duck.plain")
assert len(again.snapshots()) == 2, again.snapshots()
assert sorted(again.scan().to_arrow().column("id").to_pylist()) == [1, 2, 5, 6]
assert again.scan(row_filter="region == 'eu'").to_arrow().num_rows == 2
# A table DuckDB creates is the catalog's like any other.
con.execute("CREATE TABLE lake.duck.by_duck (k BIGINT, name VARCHAR)")
con.execute("INSERT INTO lake.duck.by_duck VALUES (1, 'one'), (2, 'two')")
made = rest.load_table("duck.by_duck")
assert [f.name for f in made.schema().fields] == ["k", "name"], made.schema()
assert sorted(made.scan().to_arrow().column("name").to_pylist()) == ["one", "two"]
# What PyIceberg commits afterwards, a fresh DuckDB attach sees.
made.append(pa.table({"k": pa.array([3], pa.int64()), "name": pa.array(["three"])}))
fresh = connect()
fresh.execute(f"ATTACH 'lake' AS lake (TYPE iceberg, ENDPOINT '{base}/iceberg', AUTHORIZATION_TYPE 'none')")
assert fresh.execute("SELECT count(*) FROM lake.duck.by_duck").fetchone() == (3,)

# OAuth2 client credentials (DuckDB sends them as HTTP Basic authentication).
tokens = f"{locked}/iceberg/v1/oauth/tokens"
auth = connect()
auth.execute(f"CREATE SECRET good (TYPE iceberg, CLIENT_ID 'AKIDDUCK', CLIENT_SECRET 'duck-secret', OAUTH2_SERVER_URI '{tokens}')")
auth.execute(f"ATTACH 'lake' AS lake (TYPE iceberg, ENDPOINT '{locked}/iceberg', SECRET good)")
auth.execute("CREATE SCHEMA lake.signed")
assert ("signed",) in RestCatalog("l", uri=f"{locked}/iceberg", credential="AKIDDUCK:duck-secret").list_namespaces()
try:
    auth.execute(f"CREATE SECRET bad (TYPE iceberg, CLIENT_ID 'AKIDDUCK', CLIENT_SECRET 'wrong', OAUTH2_SERVER_URI '{tokens}')")
    auth.execute(f"ATTACH 'lake' AS nope (TYPE iceberg, ENDPOINT '{locked}/iceberg', SECRET bad)")
    raise SystemExit("a wrong secret was accepted")
except duckdb.Error as e:
    assert "token" in str(e).lower(), e
print("ok")
