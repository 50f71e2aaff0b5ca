"""PyIceberg's HiveCatalog against lakecat's metastore front: argv[1] = host:port,
argv[2] = a scratch folder, argv[3:] = more replicas of the same catalog (the
concurrent writers then go through different replicas). Prints "ok" at the end."""
import sys
import threading

from pyiceberg.catalog.hive import HiveCatalog
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType

addr, scratch = sys.argv[1], sys.argv[2]
replicas = [addr] + sys.argv[3:]


def props_for(a):
    return {"uri": f"thrift://{a}", "warehouse": f"file://{scratch}/iceberg",
            "py-io-impl": "pyiceberg.io.fsspec.FsspecFileIO"}


props = props_for(addr)
cat = HiveCatalog("lake", **props)

cat.create_namespace("ice", {"owner": "ann"})
assert ("ice",) in cat.list_namespaces(), cat.list_namespaces()
schema = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "v", StringType(), required=False))
t = cat.create_table("ice.events", schema=schema)
assert cat.list_tables("ice") == [("ice", "events")]
with t.transaction() as tx:
    tx.set_properties(owner="ann")
assert cat.load_table("ice.events").properties["owner"] == "ann"
first = cat.load_table("ice.events").metadata_location

# Two writers commit at once from two catalogs (two connections, to two replicas
# when there are): the metastore's table lock serialises them, and each commit
# lands on the other's.
barrier = threading.Barrier(2)
errors = []


def writer(i):
    try:
        c = HiveCatalog("lake", **props_for(replicas[i % len(replicas)]))
        tbl = c.load_table("ice.events")
        barrier.wait()
        with tbl.transaction() as tx:
            tx.set_properties(**{f"writer{i}": str(i)})
    except Exception as e:  # noqa: BLE001 - reported below
        errors.append(repr(e))


threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
for th in threads:
    th.start()
for th in threads:
    th.join()
final = cat.load_table("ice.events")
won = [k for k in ("writer0", "writer1") if k in final.properties]
# Either both commits landed one after the other, or the second one was told its base
# changed; never a lost update that reports success.
assert len(won) + len(errors) == 2, (won, errors)
assert all("CommitFailedException" in e for e in errors), errors
assert final.metadata_location != first
assert final.properties["owner"] == "ann"

cat.drop_table("ice.events")
try:
    cat.load_table("ice.events")
    raise SystemExit("expected NoSuchTableError")
except NoSuchTableError:
    pass
cat.drop_namespace("ice")
print("ok")
