"""Open table formats for the crawler's tests, written by the real writers.

    open_formats.py write  ROOT SCRATCH [S3_ENDPOINT]
    open_formats.py evolve ROOT SCRATCH [S3_ENDPOINT]
    open_formats.py load   ROOT SCRATCH THRIFT GLUE_URL [S3_ENDPOINT]

ROOT is a local folder, or a bucket name when an S3 endpoint is given; SCRATCH keeps
the SQLite file of PyIceberg's SqlCatalog between runs. `write` makes:
- delta/events: delta-rs, partitioned by dt, a column added by schema evolution, an
  overwrite that removes files, a checkpoint, then two later commits (so the current
  schema needs the checkpoint and the commits after it), plus a stray Parquet folder
  inside the table root that must not become a table;
- delta/plain: one commit, every kind of type; delta/broken: a log whose first commit
  was deleted without a checkpoint (it must be refused, its files not crawled);
- iceberg/db/orders: PyIceberg's SqlCatalog, partitioned by customer, schema evolved;
- hudi/trips: a copy-on-write table laid out as Hudi documents it (no Hudi writer
  installs here without Spark's Hudi bundle): hoodie.properties, a completed commit
  with its schema, a later inflight one, partition markers;
- loose/: an ordinary Parquet table beside them.
`evolve` adds a Delta column, an Iceberg snapshot and a Hudi commit with a new
column and partition. `load` loads the crawled Iceberg table with PyIceberg's
HiveCatalog and GlueCatalog and scans it. Prints "ok".
"""
import datetime
import decimal
import io
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

mode, root, scratch = sys.argv[1], sys.argv[2], sys.argv[3]
rest = sys.argv[4:]
endpoint = rest[-1] if rest and rest[-1].startswith("http://") and (mode != "load" or len(rest) == 3) else None

if endpoint:
    import pyarrow.fs as pafs

    base = f"s3://{root}"
    storage = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }
    fs = pafs.S3FileSystem(endpoint_override=endpoint, access_key="testing", secret_key="testing",
                           region="us-east-1", scheme="http")
    prefix = root
else:
    import pyarrow.fs as pafs

    base = root
    storage = None
    fs = pafs.LocalFileSystem()
    prefix = root


def put(rel, data):
    if not endpoint:
        os.makedirs(os.path.dirname(f"{prefix}/{rel}"), exist_ok=True)
    with fs.open_output_stream(f"{prefix}/{rel}") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def delete(rel):
    fs.delete_file(f"{prefix}/{rel}")


def parquet_bytes(table):
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def iceberg_catalog():
    from pyiceberg.catalog.sql import SqlCatalog

    props = {"uri": f"sqlite:///{scratch}/catalog.db", "warehouse": f"{base}/iceberg"}
    if endpoint:
        props.update({"s3.endpoint": endpoint, "s3.access-key-id": "testing",
                      "s3.secret-access-key": "testing", "s3.region": "us-east-1"})
    return SqlCatalog("fixtures", **props)


ORDERS = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("ts", pa.timestamp("us", tz="UTC")),
                    pa.field("customer", pa.string())])


def orders_rows(ids):
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "ts": pa.array([datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)] * len(ids), pa.timestamp("us", tz="UTC")),
        "customer": ["x" if i % 2 else "y" for i in ids],
    }, schema=ORDERS)


HUDI_PROPS = """#Properties saved on 2024-01-02T00:00:00.000Z
#Tue Jan 02 00:00:00 UTC 2024
hoodie.table.precombine.field=ts
hoodie.table.partition.fields=region
hoodie.table.type=COPY_ON_WRITE
hoodie.archivelog.folder=archived
hoodie.populate.meta.fields=true
hoodie.timeline.layout.version=1
hoodie.table.version=6
hoodie.table.recordkey.fields=uuid
hoodie.datasource.write.hive_style_partitioning=true
hoodie.table.keygenerator.class=org.apache.hudi.keygen.SimpleKeyGenerator
hoodie.table.name=trips
hoodie.table.create.schema={"type"\\:"record","name"\\:"trips_record","namespace"\\:"hoodie.trips","fields"\\:[{"name"\\:"uuid","type"\\:"string"}]}
hoodie.table.base.file.format=PARQUET
"""


def hudi_schema(extra):
    fields = [{"name": "uuid", "type": "string"}, {"name": "ts", "type": "long"},
              {"name": "fare", "type": ["null", "double"], "default": None},
              {"name": "region", "type": "string"}] + extra
    return json.dumps({"type": "record", "name": "trips_record", "namespace": "hoodie.trips", "fields": fields})


def hudi_commit(instant, regions, extra, complete=True):
    t = "hudi/trips"
    stats = {}
    for r in regions:
        put(f"{t}/region={r}/.hoodie_partition_metadata",
            f"#partition metadata\n#Tue Jan 02 00:00:00 UTC 2024\ncommitTime={instant}\npartitionDepth=1\n")
        cols = {"_hoodie_commit_time": [instant], "_hoodie_commit_seqno": [f"{instant}_0_1"],
                "_hoodie_record_key": [f"k-{r}"], "_hoodie_partition_path": [f"region={r}"],
                "_hoodie_file_name": [f"f-{r}.parquet"], "uuid": [f"k-{r}"], "ts": [1], "fare": [2.5], "region": [r]}
        for e in extra:
            cols[e["name"]] = ["v"]
        name = f"{t}/region={r}/f-{r}_0-1-0_{instant}.parquet"
        put(name, parquet_bytes(pa.table(cols)))
        stats[f"region={r}"] = [{"fileId": f"f-{r}", "path": name[len(t) + 1:], "numWrites": 1}]
    commit = {"partitionToWriteStats": stats, "compacted": False,
              "extraMetadata": {"schema": hudi_schema(extra)}, "operationType": "UPSERT"}
    put(f"{t}/.hoodie/{instant}.commit.requested", "")
    put(f"{t}/.hoodie/{instant}.inflight", json.dumps({"partitionToWriteStats": {}}))
    if complete:
        put(f"{t}/.hoodie/{instant}.commit", json.dumps(commit))


def write():
    from deltalake import DeltaTable, write_deltalake

    if endpoint:
        import boto3

        boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                     region_name="us-east-1").create_bucket(Bucket=root)
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import IdentityTransform
    from pyiceberg.types import DoubleType, LongType, NestedField, StringType, TimestamptzType

    ev = f"{base}/delta/events"
    t1 = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": ["a", "b", "c"],
                   "dt": ["2024-01-01", "2024-01-01", "2024-01-02"]})
    write_deltalake(ev, t1, partition_by=["dt"], storage_options=storage)
    write_deltalake(ev, t1, partition_by=["dt"], mode="append", storage_options=storage)
    t2 = pa.table({"id": pa.array([4], pa.int64()), "name": ["d"], "dt": ["2024-01-03"],
                   "score": pa.array([1.5], pa.float64())})
    write_deltalake(ev, t2, partition_by=["dt"], mode="append", schema_mode="merge", storage_options=storage)
    write_deltalake(ev, t2, partition_by=["dt"], mode="overwrite", schema_mode="merge", storage_options=storage)
    DeltaTable(ev, storage_options=storage).create_checkpoint()
    for _ in range(2):
        write_deltalake(ev, t2, partition_by=["dt"], mode="append", storage_options=storage)
    put("delta/events/stray/part-0.parquet", parquet_bytes(pa.table({"s": [1]})))

    plain = pa.table({
        "k": pa.array([1], pa.int32()),
        "amount": pa.array([decimal.Decimal("1.25")], pa.decimal128(10, 2)),
        "at": pa.array([datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.timezone.utc)], pa.timestamp("us", tz="UTC")),
        "tags": pa.array([["x"]], pa.list_(pa.string())),
        "attrs": pa.array([{"a": 1}], pa.struct([("a", pa.int64())])),
    })
    write_deltalake(f"{base}/delta/plain", plain, storage_options=storage)

    write_deltalake(f"{base}/delta/broken", t1, storage_options=storage)
    write_deltalake(f"{base}/delta/broken", t1, mode="append", storage_options=storage)
    delete("delta/broken/_delta_log/00000000000000000000.json")

    cat = iceberg_catalog()
    cat.create_namespace("db")
    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "ts", TimestamptzType(), required=False),
        NestedField(3, "customer", StringType(), required=False),
    )
    spec = PartitionSpec(PartitionField(source_id=3, field_id=1000, transform=IdentityTransform(), name="customer"))
    t = cat.create_table("db.orders", schema=schema, partition_spec=spec)
    t.append(orders_rows([1, 2]))
    t.append(orders_rows([3, 4]))
    with t.update_schema() as u:
        u.add_column("total", DoubleType(), doc="order total")

    put("hudi/trips/.hoodie/hoodie.properties", HUDI_PROPS)
    hudi_commit("20240101000000000", ["eu", "us"], [])
    # A later write that never completed: its schema must not be taken.
    hudi_commit("20240102000000000", ["eu"], [{"name": "never", "type": ["null", "string"], "default": None}],
                complete=False)

    put("loose/part-0.parquet", parquet_bytes(pa.table({"x": pa.array([1, 2], pa.int32())})))


def evolve():
    from deltalake import write_deltalake

    t3 = pa.table({"id": pa.array([5], pa.int64()), "name": ["e"], "dt": ["2024-01-04"],
                   "score": pa.array([2.5], pa.float64()), "extra": ["new"]})
    write_deltalake(f"{base}/delta/events", t3, partition_by=["dt"], mode="append", schema_mode="merge",
                    storage_options=storage)
    iceberg_catalog().load_table("db.orders").append(
        orders_rows([5]).append_column("total", pa.array([9.5], pa.float64())))
    hudi_commit("20240103000000000", ["asia"], [{"name": "driver", "type": ["null", "string"], "default": None}])


def load(thrift, glue_url):
    from pyiceberg.catalog.glue import GlueCatalog
    from pyiceberg.catalog.hive import HiveCatalog

    io_props = {}
    if endpoint:
        io_props = {"s3.endpoint": endpoint, "s3.access-key-id": "testing", "s3.secret-access-key": "testing",
                    "s3.region": "us-east-1"}
    hive = HiveCatalog("lake", **{"uri": f"thrift://{thrift}"}, **io_props)
    glue = GlueCatalog("lake", **{"glue.endpoint": glue_url, "glue.region": "us-east-1",
                                  "glue.access-key-id": "x", "glue.secret-access-key": "y"}, **io_props)
    expected = iceberg_catalog().load_table("db.orders")
    for cat in (hive, glue):
        t = cat.load_table("lake.orders")
        # The crawl names local files by file:// URL; the writer by plain path.
        found, written = (m.removeprefix("file://") for m in (t.metadata_location, expected.metadata_location))
        assert found == written, (found, written)
        assert [f.name for f in t.schema().fields] == ["id", "ts", "customer", "total"], t.schema()
        rows = t.scan().to_arrow()
        assert rows.num_rows == expected.scan().to_arrow().num_rows, rows.num_rows


if mode == "write":
    write()
elif mode == "evolve":
    evolve()
elif mode == "load":
    load(rest[0], rest[1])
else:
    raise SystemExit(f"unknown mode {mode}")
print("ok")
