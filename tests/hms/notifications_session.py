"""The Hive Metastore notification log, read by Hive's own generated clients:
hmsclient (Hive 2's IDL) and PyIceberg's `hive_metastore` (Hive 4's), against
lakecat's Thrift front. Writes go through Thrift, the REST API and DDL; the log
must name every one, in order, with Hive's JSON messages whose objects decode
with Thrift's TJSONProtocol; a replay of the whole log must rebuild the catalog
the server holds. argv = thrift host:port, scratch folder, HTTP base URL.
Prints "ok" at the end."""
import json
import sys
import urllib.request

from hmsclient import hmsclient
from hmsclient.genthrift.hive_metastore import ttypes as T
from hive_metastore import ttypes as T4
from hive_metastore.ThriftHiveMetastore import Client as Client4
from thrift.protocol import TBinaryProtocol, TJSONProtocol
from thrift.transport import TSocket, TTransport

host, port = sys.argv[1].rsplit(":", 1)
scratch, base = sys.argv[2], sys.argv[3]


def http(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def decode(cls, text):
    """A Thrift object from its TJSONProtocol text, as Hive's JSONMessageDeserializer reads it."""
    obj = cls()
    obj.read(TJSONProtocol.TJSONProtocol(TTransport.TMemoryBuffer(text.encode())))
    return obj


def sd(location, cols=(("id", "bigint"),)):
    return T.StorageDescriptor(
        cols=[T.FieldSchema(n, t, "") for n, t in cols], location=location,
        inputFormat="org.apache.hadoop.mapred.TextInputFormat",
        outputFormat="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        serdeInfo=T.SerDeInfo(serializationLib="org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", parameters={}),
        parameters={})


with hmsclient.HMSClient(host=host, port=int(port)) as c:
    start = c.get_current_notificationEventId().eventId
    c.create_database(T.Database(name="ev", locationUri=f"file:{scratch}/ev", parameters={}))
    keys = [T.FieldSchema("dt", "string", "")]
    c.create_table(T.Table(tableName="t", dbName="ev", sd=sd(f"file:{scratch}/ev/t"), partitionKeys=keys,
                           parameters={}, tableType="EXTERNAL_TABLE"))
    parts = [T.Partition(values=[d], dbName="ev", tableName="t", sd=sd(f"file:{scratch}/ev/t/dt={d}"), parameters={})
             for d in ("2024-01-01", "2024-01-02")]
    c.add_partitions(parts)
    p = c.get_partition("ev", "t", ["2024-01-01"])
    p.parameters = {"note": "moved"}
    c.alter_partition("ev", "t", p)
    c.drop_partition("ev", "t", ["2024-01-02"], False)
    t = c.get_table("ev", "t")
    t.tableName = "t2"
    c.alter_table("ev", "t", t)
    c.fire_listener_event(T.FireEventRequest(
        successful=True, data=T.FireEventRequestData(insertData=T.InsertEventRequestData(filesAdded=["f1.csv"])),
        dbName="ev", tableName="t2", partitionVals=["2024-01-01"]))
    c.create_function(T.Function(functionName="up", dbName="ev", className="com.example.Up", ownerName="ann",
                                 ownerType=T.PrincipalType.USER, createTime=0, functionType=T.FunctionType.JAVA,
                                 resourceUris=[]))
    c.drop_function("ev", "up")
    # A write that fails logs nothing.
    try:
        c.create_database(T.Database(name="ev", parameters={}))
        raise SystemExit("a second create of ev was accepted")
    except T.AlreadyExistsException:
        pass
    # Other fronts write to the same log.
    http("POST", "/v1/databases/ev/tables", {"name": "r", "storage_descriptor": {"columns": [{"name": "a", "type": "int"}],
                                                                                "location": f"file:{scratch}/ev/r"}})
    http("POST", "/v1/ddl", {"sql": "ALTER TABLE ev.r SET TBLPROPERTIES ('k'='v')"})

    events = c.get_next_notification(T.NotificationEventRequest(lastEvent=start, maxEvents=100)).events
    ids = [e.eventId for e in events]
    # Hive's client refuses a response whose ids are not consecutive.
    assert ids == list(range(start + 1, start + 1 + len(ids))), ids
    assert c.get_current_notificationEventId().eventId == ids[-1]
    types = [e.eventType for e in events]
    assert types == ["CREATE_DATABASE", "CREATE_TABLE", "ADD_PARTITION", "ALTER_PARTITION", "DROP_PARTITION",
                     "ALTER_TABLE", "INSERT", "CREATE_FUNCTION", "DROP_FUNCTION", "CREATE_TABLE", "ALTER_TABLE"], types
    by = {}
    for e in events:
        assert e.messageFormat == "json-0.2" and e.dbName == "ev", e
        assert abs(e.eventTime - events[0].eventTime) < 120, e
        by.setdefault(e.eventType, []).append((e, json.loads(e.message)))

    e, m = by["CREATE_TABLE"][0]
    assert (e.tableName, m["db"], m["table"], m["tableType"]) == ("t", "ev", "t", "EXTERNAL_TABLE"), m
    tbl = decode(T.Table, m["tableObjJson"])
    assert (tbl.dbName, tbl.tableName, [k.name for k in tbl.partitionKeys]) == ("ev", "t", ["dt"]), tbl
    assert tbl.sd.location == f"file:{scratch}/ev/t", tbl.sd.location

    e, m = by["ADD_PARTITION"][0]
    assert m["partitions"] == [{"dt": "2024-01-01"}, {"dt": "2024-01-02"}], m["partitions"]
    added = [decode(T.Partition, j) for j in m["partitionListJson"]]
    assert [(x.dbName, x.tableName, x.values) for x in added] == [("ev", "t", ["2024-01-01"]), ("ev", "t", ["2024-01-02"])]

    e, m = by["ALTER_PARTITION"][0]
    assert m["keyValues"] == {"dt": "2024-01-01"}, m
    assert decode(T.Partition, m["partitionObjBeforeJson"]).parameters.get("note") is None
    assert decode(T.Partition, m["partitionObjAfterJson"]).parameters.get("note") == "moved"

    e, m = by["DROP_PARTITION"][0]
    assert m["partitions"] == [{"dt": "2024-01-02"}], m

    e, m = by["ALTER_TABLE"][0]
    assert (m["table"], decode(T.Table, m["tableObjAfterJson"]).tableName) == ("t", "t2"), m

    e, m = by["INSERT"][0]
    assert (m["table"], m["files"], m["replace"]) == ("t2", ["f1.csv"], "false"), m
    assert decode(T.Partition, m["ptnObjJson"]).values == ["2024-01-01"]

    e, m = by["CREATE_FUNCTION"][0]
    f = decode(T.Function, m["functionObjJson"])
    assert (f.functionName, f.className) == ("up", "com.example.Up"), f
    assert by["DROP_FUNCTION"][0][1]["functionName"] == "up"

    e, m = by["ALTER_TABLE"][1]
    assert decode(T.Table, m["tableObjAfterJson"]).parameters.get("k") == "v", m

    # Paging: the same events, a few at a time.
    paged, last = [], start
    while True:
        page = c.get_next_notification(T.NotificationEventRequest(lastEvent=last, maxEvents=3)).events
        if not page:
            break
        paged += [x.eventId for x in page]
        last = page[-1].eventId
    assert paged == ids, paged

    # A replay of the whole log rebuilds what the catalog holds.
    everything = c.get_next_notification(T.NotificationEventRequest(lastEvent=0, maxEvents=1000)).events
    assert [x.eventId for x in everything] == list(range(1, ids[-1] + 1))
    state = {}
    for x in everything:
        m = json.loads(x.message)
        kind = x.eventType
        if kind == "CREATE_DATABASE":
            state[m["db"]] = {}
        elif kind == "DROP_DATABASE":
            state.pop(m["db"])
        elif kind == "CREATE_TABLE":
            state[m["db"]][m["table"]] = set()
        elif kind == "DROP_TABLE":
            state[m["db"]].pop(m["table"])
        elif kind == "ALTER_TABLE":
            after = decode(T.Table, m["tableObjAfterJson"])
            state[m["db"]][after.tableName] = state[m["db"]].pop(m["table"])
        elif kind == "ADD_PARTITION":
            state[m["db"]][m["table"]] |= {tuple(p.values()) for p in m["partitions"]}
        elif kind == "DROP_PARTITION":
            state[m["db"]][m["table"]] -= {tuple(p.values()) for p in m["partitions"]}
        elif kind == "ALTER_PARTITION":
            after = decode(T.Partition, m["partitionObjAfterJson"])
            parts_now = state[m["db"]][m["table"]]
            parts_now.discard(tuple(m["keyValues"].values()))
            parts_now.add(tuple(after.values))
    actual = {}
    for d in c.get_all_databases():
        actual[d] = {}
        for tn in c.get_all_tables(d):
            names = c.get_partition_names(d, tn, -1)
            actual[d][tn] = {tuple(v.split("=", 1)[1] for v in n.split("/")) for n in names}
    assert state == actual, (state, actual)

# Hive 4's IDL: counts and the type skip list.
transport = TTransport.TBufferedTransport(TSocket.TSocket(host, int(port)))
transport.open()
c4 = Client4(TBinaryProtocol.TBinaryProtocol(transport))
n = c4.get_notification_events_count(T4.NotificationEventsCountRequest(fromEventId=start, dbName="ev")).eventsCount
assert n == len(ids), (n, ids)
n = c4.get_notification_events_count(T4.NotificationEventsCountRequest(fromEventId=start, dbName="ev", toEventId=start + 3)).eventsCount
assert n == 3, n
assert c4.get_notification_events_count(T4.NotificationEventsCountRequest(fromEventId=start, dbName="nope")).eventsCount == 0
skipped = c4.get_next_notification(T4.NotificationEventRequest(lastEvent=start, maxEvents=100,
                                                               eventTypeSkipList=["ADD_PARTITION", "INSERT"])).events
assert [x.eventType for x in skipped] == [t for t in types if t not in ("ADD_PARTITION", "INSERT")]
ids4 = c4.fire_listener_event(T4.FireEventRequest(
    successful=True, data=T4.FireEventRequestData(insertData=T4.InsertEventRequestData(filesAdded=["f2"], replace=True)),
    dbName="ev", tableName="t2"))
assert c4.get_current_notificationEventId().eventId == ids[-1] + 1
transport.close()

# The REST feed shows the same log.
feed = http("GET", f"/v1/events?after={start}&limit=100")
assert [x["id"] for x in feed["events"]] == ids + [ids[-1] + 1], feed
assert feed["events"][1]["type"] == "CREATE_TABLE" and feed["events"][1]["table"] == "t"
assert feed["next_after"] == ids[-1] + 1
print("ok")
