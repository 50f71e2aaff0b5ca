"""PyIceberg's RestCatalog against lakecat's Iceberg REST front, beside its HiveCatalog on
the Thrift front of the same server: argv = HTTP host:port... given as the base URL,
Thrift host:port, scratch folder. One catalog: what one front writes, the other reads.
Prints "ok"."""
import os
import sys

import pyarrow as pa
from pyiceberg.catalog.hive import HiveCatalog
from pyiceberg.catalog.rest import RestCatalog
from pyiceberg.exceptions import NamespaceNotEmptyError, NoSuchTableError
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType

base, thrift, scratch = sys.argv[1], sys.argv[2], sys.argv[3]
io = {"py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO"}
hive = HiveCatalog("lake", uri=f"thrift://{thrift}", warehouse=f"file://{scratch}/iceberg", **io)
rest = RestCatalog("lake", uri=f"{base}/iceberg", **io)

hive.create_namespace("ice", {"comment": "from hive"})
schema = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "v", StringType(), required=False))
t = hive.create_table("ice.events", schema=schema)
rows = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "v": pa.array(["a", "b", "c"])})
t.append(rows)
t = hive.load_table("ice.events")

# The REST front sees what the Thrift front wrote.
assert ("ice",) in rest.list_namespaces(), rest.list_namespaces()
assert rest.load_namespace_properties("ice")["comment"] == "from hive"
assert rest.namespace_exists("ice") and not rest.namespace_exists("nope")
assert rest.list_tables("ice") == [("ice", "events")], rest.list_tables("ice")
r = rest.load_table("ice.events")
assert r.metadata_location == t.metadata_location, (r.metadata_location, t.metadata_location)
assert r.schema() == t.schema() and r.current_snapshot().snapshot_id == t.current_snapshot().snapshot_id
assert r.scan().to_arrow().sort_by("id").equals(rows), r.scan().to_arrow()
assert rest.table_exists("ice.events") and not rest.table_exists("ice.nope")
try:
    rest.load_table("ice.nope")
    raise SystemExit("expected NoSuchTableError")
except NoSuchTableError:
    pass

# Registered through REST, read through Thrift (and REST).
rest.register_table("ice.copy", t.metadata_location)
assert hive.load_table("ice.copy").scan().to_arrow().num_rows == 3
rest.rename_table("ice.copy", "ice.renamed")
assert sorted(rest.list_tables("ice")) == [("ice", "events"), ("ice", "renamed")], rest.list_tables("ice")
rest.drop_table("ice.renamed")
assert not rest.table_exists("ice.renamed")
assert os.path.exists(t.metadata_location.removeprefix("file://")), "dropping without purge keeps the files"

# Namespaces made over REST are the catalog's databases.
rest.create_namespace("restns", {"comment": "c", "owner": "ann"})
assert hive.load_namespace_properties("restns")["comment"] == "c"
summary = rest.update_namespace_properties("restns", removals={"owner", "absent"}, updates={"k": "v"})
assert summary.removed == ["owner"] and summary.missing == ["absent"] and summary.updated == ["k"], summary
rest.drop_namespace("restns")
assert not rest.namespace_exists("restns")
try:
    rest.drop_namespace("ice")
    raise SystemExit("expected NamespaceNotEmptyError")
except NamespaceNotEmptyError:
    pass

# Creating and committing are not served yet: the config's endpoint list says so, and
# the client refuses before asking; asked anyway, the server answers 501.
try:
    rest.create_table("ice.new", schema=schema)
    raise SystemExit("create_table was accepted")
except NotImplementedError as e:
    assert "POST /v1/{prefix}/namespaces/{namespace}/tables" in str(e), e
import requests
resp = requests.post(f"{base}/iceberg/v1/namespaces/ice/tables", json={"name": "new", "schema": {}})
assert resp.status_code == 501 and resp.json()["error"]["type"] == "NotImplementedException", resp.text
print("ok")
