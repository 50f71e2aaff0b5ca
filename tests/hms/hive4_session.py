"""Hive 4's request-struct calls (the IDL PyIceberg ships, `hive_metastore`)
against lakecat's Thrift front: argv = host:port, scratch folder. Prints "ok"."""
import sys

from hive_metastore.ThriftHiveMetastore import Client
from hive_metastore.ttypes import (
    AddPartitionsRequest, AlterPartitionsRequest, AlterTableRequest, Database, FieldSchema,
    GetDatabaseRequest, GetFieldsRequest, GetPartitionNamesPsRequest, GetPartitionsByNamesRequest,
    GetPartitionsPsWithAuthRequest, GetSchemaRequest, GetTablesExtRequest, InvalidOperationException,
    MetaException, NoSuchObjectException, Partition, SerDeInfo, StorageDescriptor, Table)
from thrift.Thrift import TMessageType, TType
from thrift.protocol import TBinaryProtocol
from thrift.protocol.TBase import TBase
from thrift.transport import TSocket, TTransport

host, port = sys.argv[1].rsplit(":", 1)
scratch = sys.argv[2]
transport = TTransport.TBufferedTransport(TSocket.TSocket(host, int(port)))
transport.open()
c = Client(TBinaryProtocol.TBinaryProtocol(transport))


def sd(location):
    return StorageDescriptor(cols=[FieldSchema("id", "bigint", "")], location=location,
                             inputFormat="org.apache.hadoop.mapred.TextInputFormat",
                             outputFormat="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                             serdeInfo=SerDeInfo(serializationLib="org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", parameters={}),
                             parameters={})


c.create_database(Database(name="sales4", locationUri=f"file:{scratch}/sales4", parameters={}))
assert c.get_database_req(GetDatabaseRequest(name="sales4", catalogName="hive")).name == "sales4"
try:
    c.get_database_req(GetDatabaseRequest(name="nope", catalogName="hive"))
    raise SystemExit("expected NoSuchObjectException")
except NoSuchObjectException:
    pass
c.create_table(Table(tableName="ev", dbName="sales4", sd=sd(f"file:{scratch}/sales4/ev"),
                     partitionKeys=[FieldSchema("dt", "string", "")], parameters={}, tableType="EXTERNAL_TABLE"))
parts = [Partition(values=[d], dbName="sales4", tableName="ev", sd=sd(f"file:{scratch}/sales4/ev/dt={d}"), parameters={})
         for d in ["2024-01-01", "2024-01-02"]]
c.add_partitions_req(AddPartitionsRequest(dbName="sales4", tblName="ev", parts=parts, ifNotExists=False, needResult=False))

got = c.get_partitions_by_names_req(GetPartitionsByNamesRequest(db_name="sales4", tbl_name="ev",
                                                                  names=["dt=2024-01-02", "dt=2030-01-01"])).partitions
assert [p.values for p in got] == [["2024-01-02"]], got
names = c.get_partition_names_ps_req(GetPartitionNamesPsRequest(catName="hive", dbName="sales4", tblName="ev",
                                                                 partValues=["2024-01-01"], maxParts=-1)).names
assert names == ["dt=2024-01-01"], names
allp = c.get_partitions_ps_with_auth_req(GetPartitionsPsWithAuthRequest(catName="hive", dbName="sales4", tblName="ev",
                                                                       partVals=[""], maxParts=-1, userName="ann",
                                                                       groupNames=[])).partitions
assert sorted(p.values[0] for p in allp) == ["2024-01-01", "2024-01-02"], allp

# Altering partitions and the table through the request structs.
for p in allp:
    p.parameters = {"numRows": "7"}
c.alter_partitions_req(AlterPartitionsRequest(catName="hive", dbName="sales4", tableName="ev", partitions=allp))
assert c.get_partition("sales4", "ev", ["2024-01-02"]).parameters.get("numRows") == "7"
missing = Partition(values=["2030-01-01"], dbName="sales4", tableName="ev", sd=sd(f"file:{scratch}/x"), parameters={})
try:
    c.alter_partitions_req(AlterPartitionsRequest(catName="hive", dbName="sales4", tableName="ev", partitions=[allp[0], missing]))
    raise SystemExit("expected an exception for a partition that does not exist")
except (InvalidOperationException, MetaException):
    pass
assert c.get_partition("sales4", "ev", ["2024-01-01"]).parameters.get("numRows") == "7", "nothing changed"
t = c.get_table("sales4", "ev")
t.parameters = dict(t.parameters or {}, comment="altered")
c.alter_table_req(AlterTableRequest(catName="hive", dbName="sales4", tableName="ev", table=t))
assert c.get_table("sales4", "ev").parameters.get("comment") == "altered"

fields = c.get_fields_req(GetFieldsRequest(catName="hive", dbName="sales4", tblName="ev")).fields
schema = c.get_schema_req(GetSchemaRequest(catName="hive", dbName="sales4", tblName="ev")).fields
assert [f.name for f in fields] == ["id"] and [f.name for f in schema] == ["id", "dt"], (fields, schema)
ext = c.get_tables_ext(GetTablesExtRequest(catalog="hive", database="sales4", tableNamePattern="e*", requestedFields=1))
assert [(e.tblName, e.accessType) for e in ext] == [("ev", 8)], ext


# get_partitions_by_filter_req is newer than PyIceberg's IDL: its structs are declared here
# from Hive 4's hive_metastore.thrift and encoded by the thrift library.
class GetPartitionsByFilterRequest(TBase):
    thrift_spec = (None, (1, TType.STRING, "catName", "UTF8", None), (2, TType.STRING, "dbName", "UTF8", None),
                   (3, TType.STRING, "tblName", "UTF8", None), (4, TType.STRING, "filter", "UTF8", None),
                   (5, TType.I16, "maxParts", None, -1))

    def __init__(self, catName=None, dbName=None, tblName=None, filter=None, maxParts=-1):
        self.catName, self.dbName, self.tblName, self.filter, self.maxParts = catName, dbName, tblName, filter, maxParts


class ByFilterArgs(TBase):
    thrift_spec = (None, (1, TType.STRUCT, "req", [GetPartitionsByFilterRequest, None], None))

    def __init__(self, req=None):
        self.req = req


class Failure(TBase):
    """MetaException and NoSuchObjectException (1: string message); the generated ones are
    frozen, which the thrift library's generic reader cannot fill."""
    thrift_spec = (None, (1, TType.STRING, "message", "UTF8", None))

    def __init__(self, message=None):
        self.message = message


class ByFilterResult(TBase):
    thrift_spec = ((0, TType.LIST, "success", (TType.STRUCT, [Partition, None], False), None),
                   (1, TType.STRUCT, "o1", [Failure, None], None),
                   (2, TType.STRUCT, "o2", [Failure, None], None))

    def __init__(self, success=None, o1=None, o2=None):
        self.success, self.o1, self.o2 = success, o1, o2


def by_filter(**kw):
    c._oprot.writeMessageBegin("get_partitions_by_filter_req", TMessageType.CALL, 99)
    ByFilterArgs(GetPartitionsByFilterRequest(**kw)).write(c._oprot)
    c._oprot.writeMessageEnd()
    c._oprot.trans.flush()
    _, kind, _ = c._iprot.readMessageBegin()
    assert kind == TMessageType.REPLY, kind
    r = ByFilterResult()
    r.read(c._iprot)
    c._iprot.readMessageEnd()
    return r


# Hive's `like` operand is a regular expression, as in the older call.
r = by_filter(catName="hive", dbName="sales4", tblName="ev", filter='dt like "2024-01.*"')
assert sorted(p.values[0] for p in r.success) == ["2024-01-01", "2024-01-02"], r.success
r = by_filter(catName="hive", dbName="sales4", tblName="ev", filter="dt = '2024-01-02'")
assert [p.values for p in r.success] == [["2024-01-02"]], r.success
r = by_filter(dbName="sales4", tblName="ev", filter="dt >= '2024-01-01'", maxParts=1)
assert len(r.success) == 1, r.success
r = by_filter(catName="hive", dbName="sales4", tblName="nope", filter="dt = 'x'")
assert r.success is None and "nope" in r.o2.message, vars(r)
r = by_filter(catName="hive", dbName="sales4", tblName="ev", filter="dt = ")
assert r.success is None and "filter" in r.o1.message, vars(r)
assert c.get_database("sales4").name == "sales4", "the connection is still in step"

c.drop_table("sales4", "ev", True)
c.drop_database("sales4", True, True)
transport.close()
print("ok")
