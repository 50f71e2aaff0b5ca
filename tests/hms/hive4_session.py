"""Hive 4's request-struct calls (the IDL PyIceberg ships, `hive_metastore`)
against lakecat's Thrift front: argv = host:port, scratch folder. Prints "ok"."""
import sys

from hive_metastore.ThriftHiveMetastore import Client
from hive_metastore.ttypes import (
    AddPartitionsRequest, AlterPartitionsRequest, AlterTableRequest, Database, FieldSchema,
    GetDatabaseRequest, GetFieldsRequest, GetPartitionNamesPsRequest, GetPartitionsByNamesRequest,
    GetPartitionsPsWithAuthRequest, GetSchemaRequest, GetTablesExtRequest, InvalidOperationException,
    MetaException, NoSuchObjectException, Partition, SerDeInfo, StorageDescriptor, Table)
from thrift.protocol import TBinaryProtocol
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

c.drop_table("sales4", "ev", True)
c.drop_database("sales4", True, True)
transport.close()
print("ok")
