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

# Purge: the table's folder goes with it, after two commits and an overwrite (files no
# snapshot references any more go too); the other tables' files stay.
doomed = rest.create_table("ice.doomed", schema=schema)
doomed.append(rows)
doomed.overwrite(rows.slice(0, 1))
folder = doomed.location().removeprefix("file://")
assert len([f for _, _, fs in os.walk(folder) for f in fs]) >= 5, list(os.walk(folder))
rest.purge_table("ice.doomed")
assert not rest.table_exists("ice.doomed") and not os.path.exists(folder), folder
assert os.path.exists(t.metadata_location.removeprefix("file://"))
# A table whose location holds another table's is not purged (nor dropped).
from pyiceberg.exceptions import BadRequestError
ns_folder = os.path.dirname(t.location().removeprefix("file://").rstrip("/"))
wide = rest.create_table("ice.wide", schema=schema, location=f"file://{ns_folder}")
try:
    rest.purge_table("ice.wide")
    raise SystemExit("purging a folder that holds another table was allowed")
except BadRequestError as e:
    assert "ice.events" in str(e) and "under it" in str(e), e
assert rest.table_exists("ice.wide") and os.path.exists(t.metadata_location.removeprefix("file://"))
rest.drop_table("ice.wide")

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

# Created and committed over REST (metadata files written by lakecat), read over Thrift.
import threading

import requests

n = rest.create_table("ice.made", schema=schema, properties={"owner": "ann"})
assert n.metadata_location.endswith(".metadata.json") and "/metadata/00000-" in n.metadata_location, n.metadata_location
n.append(rows)
n = rest.load_table("ice.made")
assert n.metadata_location.split("/")[-1].startswith("00001-"), n.metadata_location
assert n.scan().to_arrow().sort_by("id").equals(rows)
h = hive.load_table("ice.made")
assert h.metadata_location == n.metadata_location and h.scan().to_arrow().num_rows == 3
with n.transaction() as tx:
    tx.set_properties(stage="two")
    tx.update_schema().add_column("extra", StringType()).commit()
n = rest.load_table("ice.made")
assert n.properties["stage"] == "two" and [f.name for f in n.schema().fields] == ["id", "v", "extra"]
assert [c.name for c in [*map(lambda f: f, n.schema().fields)]] == ["id", "v", "extra"]
assert len(n.metadata.metadata_log) == 2, n.metadata.metadata_log

# Two appends from the same base (each asserts the branch it read): one commits, the other
# is refused with 409 (PyIceberg then retries it on the new base): nothing is lost.
base_rows = rest.load_table("ice.made").scan().to_arrow().num_rows
a, b = rest.load_table("ice.made"), rest.load_table("ice.made")
barrier = threading.Barrier(2)
more = pa.table({"id": pa.array([9], pa.int64()), "v": pa.array(["z"]), "extra": pa.array(["e"])})


def write(t):
    barrier.wait()
    t.append(more)


ts = [threading.Thread(target=write, args=(t,)) for t in (a, b)]
[t.start() for t in ts]
[t.join() for t in ts]
assert rest.load_table("ice.made").scan().to_arrow().num_rows == base_rows + 2
audit = requests.get(f"{base}/v1/audit?front=iceberg&outcome=rejected").json()["entries"]
assert any(e["status"] == 409 for e in audit), audit

# A commit whose requirement no longer holds is refused and changes nothing: here the
# branch moved on (the Hive catalog appended) since the snapshot the client asserts.
stale = rest.load_table("ice.made")
hive.load_table("ice.made").append(more)
before = rest.load_table("ice.made").metadata_location
resp = requests.post(f"{base}/iceberg/v1/namespaces/ice/tables/made", json={
    "requirements": [{"type": "assert-ref-snapshot-id", "ref": "main",
                      "snapshot-id": stale.current_snapshot().snapshot_id}],
    "updates": [{"action": "set-properties", "updates": {"late": "yes"}}]})
assert resp.status_code == 409 and resp.json()["error"]["type"] == "CommitFailedException", resp.text
after = rest.load_table("ice.made")
assert after.metadata_location == before and "late" not in after.properties
resp = requests.post(f"{base}/iceberg/v1/namespaces/ice/tables/made", json={
    "requirements": [{"type": "assert-table-uuid", "uuid": "00000000-0000-4000-8000-000000000000"}],
    "updates": []})
assert resp.status_code == 409, resp.text

# Bad input: a clear error in the protocol's shape, nothing changed.
before = rest.load_table("ice.made").metadata_location
for body, want in [("{not json", "BadRequestException"),
                   ('{"requirements": [], "updates": [{"action": "frobnicate"}]}', "BadRequestException"),
                   ('{"requirements": [{"type": "assert-nothing"}], "updates": []}', "BadRequestException"),
                   ('{"requirements": [], "updates": [{"action": "set-current-schema", "schema-id": 99}]}',
                    "BadRequestException"),
                   ('{"requirements": [], "updates": [{"action": "upgrade-format-version", "format-version": 1}]}',
                    "BadRequestException")]:
    resp = requests.post(f"{base}/iceberg/v1/namespaces/ice/tables/made", data=body,
                         headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"]["type"] == want, (body, resp.text)
assert rest.load_table("ice.made").metadata_location == before

# A staged create lands with its first commit.
txn = rest.create_table_transaction("ice.staged", schema=schema)
txn.set_properties(staged="yes")
txn.commit_transaction()
assert rest.load_table("ice.staged").properties["staged"] == "yes"
assert rest.create_table_if_not_exists("ice.staged", schema=schema).properties["staged"] == "yes"

# A table may not be placed outside the folders lakecat may write.
resp = requests.post(f"{base}/iceberg/v1/namespaces/ice/tables", json={
    "name": "escape", "location": "file:///tmp/lakecat-outside-the-warehouse",
    "schema": {"type": "struct", "schema-id": 0, "fields": []}})
assert resp.status_code == 400 and "cannot create" in resp.json()["error"]["message"], resp.text
assert not rest.table_exists("ice.escape")
# A metadata file too large to be one is refused, not read (a sparse file of 65 MiB).
os.makedirs(os.path.join(scratch, "huge"), exist_ok=True)
huge = os.path.join(scratch, "huge", "huge.metadata.json")
with open(huge, "wb") as f:
    f.truncate(65 << 20)
resp = requests.post(f"{base}/iceberg/v1/namespaces/ice/register",
                     json={"name": "huge", "metadata-location": f"file://{huge}"})
assert resp.status_code == 400 and "more than the" in resp.json()["error"]["message"], resp.text
assert not rest.table_exists("ice.huge")
# Nor may a client have the server read a file outside them.
resp = requests.post(f"{base}/iceberg/v1/namespaces/ice/register",
                     json={"name": "peek", "metadata-location": "file:///etc/hostname"})
assert resp.status_code == 400 and "cannot read" in resp.json()["error"]["message"], resp.text
# Views: created, listed, loaded and dropped by PyIceberg; replaced and renamed over HTTP.
from pyiceberg.view.metadata import SQLViewRepresentation, ViewVersion

vschema = Schema(NestedField(1, "id", LongType(), required=False))
vv = ViewVersion(schema_id=0, default_namespace=["ice"],
                 representations=[SQLViewRepresentation(type="sql", sql="SELECT id FROM ice.made", dialect="spark")])
v = rest.create_view("ice.ids", schema=vschema, view_version=vv, properties={"owner": "ann"})
assert rest.list_views("ice") == [("ice", "ids")] and rest.view_exists("ice.ids")
assert ("ice", "ids") not in rest.list_tables("ice") and not rest.table_exists("ice.ids")
loaded = rest.load_view("ice.ids")
assert loaded.metadata.current_version_id == 1 and loaded.metadata.properties["owner"] == "ann"
got = requests.get(f"{base}/iceberg/v1/namespaces/ice/views/ids").json()
uuid_ = got["metadata"]["view-uuid"]
resp = requests.post(f"{base}/iceberg/v1/namespaces/ice/views/ids", json={
    "requirements": [{"type": "assert-view-uuid", "uuid": uuid_}],
    "updates": [{"action": "add-view-version", "view-version": {
        "version-id": 0, "schema-id": 0, "timestamp-ms": 1, "summary": {}, "default-namespace": ["ice"],
        "representations": [{"type": "sql", "sql": "SELECT id FROM ice.made WHERE id > 1", "dialect": "spark"}]}},
        {"action": "set-current-view-version", "view-version-id": -1}]})
assert resp.status_code == 200, resp.text
assert rest.load_view("ice.ids").metadata.current_version_id == 2
# The Hive front sees it as a view, with its SQL.
from pyiceberg.catalog.hive import _HiveClient
with _HiveClient(f"thrift://{thrift}") as hc:
    ht = hc.get_table("ice", "ids")
    assert ht.tableType == "VIRTUAL_VIEW" and ht.viewOriginalText.endswith("id > 1"), ht
resp = requests.post(f"{base}/iceberg/v1/namespaces/ice/views/ids", json={
    "requirements": [{"type": "assert-view-uuid", "uuid": "00000000-0000-4000-8000-000000000000"}], "updates": []})
assert resp.status_code == 409, resp.text
resp = requests.post(f"{base}/iceberg/v1/views/rename", json={
    "source": {"namespace": ["ice"], "name": "ids"}, "destination": {"namespace": ["ice"], "name": "ids2"}})
assert resp.status_code == 204 and rest.view_exists("ice.ids2") and not rest.view_exists("ice.ids"), resp.text
rest.drop_view("ice.ids2")
assert rest.list_views("ice") == []

# Multi-table transactions: both tables move together, or neither does.
rest.create_table("ice.tx_a", schema=schema)
rest.create_table("ice.tx_b", schema=schema)
a, b = rest.load_table("ice.tx_a"), rest.load_table("ice.tx_b")


def change(tbl, name, uuid, value):
    return {"identifier": {"namespace": ["ice"], "name": name},
            "requirements": [{"type": "assert-table-uuid", "uuid": uuid}],
            "updates": [{"action": "set-properties", "updates": {"step": value}}]}


# The second table's requirement fails: the first table's change is not made either.
resp = requests.post(f"{base}/iceberg/v1/transactions/commit", json={"table-changes": [
    change(a, "tx_a", str(a.metadata.table_uuid), "1"),
    change(b, "tx_b", "00000000-0000-4000-8000-000000000000", "1")]})
assert resp.status_code == 409 and resp.json()["error"]["type"] == "CommitFailedException", resp.text
assert "step" not in rest.load_table("ice.tx_a").properties
assert rest.load_table("ice.tx_a").metadata_location == a.metadata_location
resp = requests.post(f"{base}/iceberg/v1/transactions/commit", json={"table-changes": [
    change(a, "tx_a", str(a.metadata.table_uuid), "2"),
    change(b, "tx_b", str(b.metadata.table_uuid), "2")]})
assert resp.status_code == 204, resp.text
for name, before in (("tx_a", a), ("tx_b", b)):
    t2 = rest.load_table(f"ice.{name}")
    assert t2.properties["step"] == "2" and t2.metadata_location != before.metadata_location, t2.properties
    # The Hive front sees the same commit.
    assert hive.load_table(f"ice.{name}").metadata_location == t2.metadata_location
# A table named twice, or a missing one, is refused and changes nothing.
resp = requests.post(f"{base}/iceberg/v1/transactions/commit", json={"table-changes": [
    change(a, "tx_a", str(a.metadata.table_uuid), "3"), change(a, "tx_a", str(a.metadata.table_uuid), "4")]})
assert resp.status_code == 400, resp.text
resp = requests.post(f"{base}/iceberg/v1/transactions/commit", json={"table-changes": [
    change(a, "tx_a", str(a.metadata.table_uuid), "3"), change(a, "tx_none", str(a.metadata.table_uuid), "3")]})
assert resp.status_code == 404 and resp.json()["error"]["type"] == "NoSuchTableException", resp.text
assert rest.load_table("ice.tx_a").properties["step"] == "2"
rest.drop_table("ice.tx_a")
rest.drop_table("ice.tx_b")

# Metrics reports are taken (and counted), not refused.
resp = requests.post(f"{base}/iceberg/v1/namespaces/ice/tables/made/metrics",
                     json={"report-type": "scan-report", "table-name": "ice.made", "snapshot-id": 1})
assert resp.status_code == 204, resp.text
print("ok")
