"""hmsclient (Hive's generated Python Thrift client) against lakecat's metastore
front: argv[1] = host:port, argv[2] = a scratch folder. Prints "ok" at the end."""
import os
import sys

from hmsclient import hmsclient
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from hmsclient.genthrift.hive_metastore import ttypes as T

host, port = sys.argv[1].rsplit(":", 1)
scratch = sys.argv[2]


def expect(exc, fn, *args):
    try:
        fn(*args)
    except exc as e:
        return e
    raise SystemExit(f"expected {exc.__name__} from {fn.__name__}{args}")


def sd(location=None, cols=(("id", "bigint"), ("v", "string"))):
    return T.StorageDescriptor(
        cols=[T.FieldSchema(n, t, "") for n, t in cols], location=location,
        inputFormat="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        outputFormat="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        serdeInfo=T.SerDeInfo(serializationLib="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", parameters={}),
        parameters={})


with hmsclient.HMSClient(host=host, port=int(port)) as c:
    assert c.getName() == "lakecat" and c.getStatus() == 2
    assert c.set_ugi("ann", ["eng"]) == ["eng"]
    assert c.get_config_value("hive.metastore.warehouse.dir", "").startswith("file:")
    assert c.get_config_value("some.unknown.key", "dflt") == "dflt"
    expect(T.ConfigValSecurityException, c.get_config_value, "javax.jdo.option.ConnectionPassword", "")

    # Databases
    c.create_database(T.Database(name="Shop", description="d", locationUri=f"file:{scratch}/shop", parameters={"a": "1"}))
    expect(T.AlreadyExistsException, c.create_database, T.Database(name="shop", parameters={}))
    d = c.get_database("shop")
    assert (d.name, d.description, d.parameters) == ("shop", "d", {"a": "1"}), d
    expect(T.NoSuchObjectException, c.get_database, "nope")
    assert c.get_databases("sh*") == ["shop"] and c.get_databases("x*|d*") == ["default"]
    c.alter_database("shop", T.Database(name="shop", description="dd", locationUri=f"file:{scratch}/shop", parameters={}))
    assert c.get_database("shop").description == "dd"

    # Tables: a managed table without a location is placed under its database.
    c.create_table(T.Table(tableName="orders", dbName="shop", sd=sd(), partitionKeys=[T.FieldSchema("dt", "string", ""), T.FieldSchema("hour", "int", "")], parameters={}, tableType="MANAGED_TABLE"))
    t = c.get_table("shop", "orders")
    assert t.sd.location == f"file:{scratch}/shop/orders", t.sd.location
    assert os.path.isdir(f"{scratch}/shop/orders")
    expect(T.AlreadyExistsException, c.create_table, t)
    expect(T.NoSuchObjectException, c.get_table, "shop", "nope")
    c.create_table(T.Table(tableName="v1", dbName="shop", sd=sd(), partitionKeys=[], parameters={}, tableType="VIRTUAL_VIEW", viewOriginalText="select 1", viewExpandedText="select 1"))
    assert c.get_table_req(T.GetTableRequest(dbName="shop", tblName="orders")).table.tableName == "orders"
    assert c.get_tables("shop", "*") == ["orders", "v1"] and c.get_all_tables("shop") == ["orders", "v1"]
    assert c.get_tables_by_type("shop", "*", "VIRTUAL_VIEW") == ["v1"]
    meta = c.get_table_meta("sh*", "o*", ["MANAGED_TABLE"])
    assert [(m.dbName, m.tableName, m.tableType) for m in meta] == [("shop", "orders", "MANAGED_TABLE")], meta
    assert [x.tableName for x in c.get_table_objects_by_name("shop", ["v1", "ghost", "orders"])] == ["v1", "orders"]
    assert [f.name for f in c.get_fields("shop", "orders")] == ["id", "v"]
    assert [f.name for f in c.get_schema("shop", "orders")] == ["id", "v", "dt", "hour"]
    t.parameters = {"owner_team": "ops"}
    c.alter_table("shop", "orders", t)
    assert c.get_table("shop", "orders").parameters["owner_team"] == "ops"
    # Renames: a view (no folder) takes the new name, also in another database.
    v = c.get_table("shop", "v1")
    v.tableName = "v2"
    c.alter_table("shop", "v1", v)
    assert c.get_tables("shop", "v*") == ["v2"]
    v.dbName = "default"
    c.alter_table("shop", "v2", v)
    assert c.get_tables("shop", "v*") == [] and c.get_table("default", "v2").viewOriginalText == "select 1"
    expect(T.NoSuchObjectException, c.get_table, "shop", "v2")

    # Partitions
    def part(dt, hour):
        return T.Partition(values=[dt, str(hour)], dbName="shop", tableName="orders", sd=sd(f"file:{scratch}/shop/orders/dt={dt}/hour={hour}"), parameters={})
    # HMSClient wraps add_partition with a helper; the raw call is the Thrift one.
    add_partition = lambda p: ThriftHiveMetastore.Client.add_partition(c, p)
    add_partition(part("2024-01-01", 1))
    assert c.add_partitions([part("2024-01-01", 2), part("2024-01-02", 1)]) == 2
    r = c.add_partitions_req(T.AddPartitionsRequest(dbName="shop", tblName="orders", parts=[part("2024-01-02", 1), part("2024-01-02", 10)], ifNotExists=True, needResult=True))
    assert [p.values for p in r.partitions] == [["2024-01-02", "1"], ["2024-01-02", "10"]], r
    expect(T.AlreadyExistsException, add_partition, part("2024-01-01", 1))
    assert c.get_partition_names("shop", "orders", -1) == ["dt=2024-01-01/hour=1", "dt=2024-01-01/hour=2", "dt=2024-01-02/hour=1", "dt=2024-01-02/hour=10"]
    assert len(c.get_partition_names("shop", "orders", 2)) == 2
    assert c.get_partition("shop", "orders", ["2024-01-02", "10"]).sd.location.endswith("hour=10")
    assert c.get_partition_by_name("shop", "orders", "dt=2024-01-02/hour=10").values == ["2024-01-02", "10"]
    expect(T.NoSuchObjectException, c.get_partition, "shop", "orders", ["2024-01-09", "1"])
    ps = c.get_partitions_ps_with_auth("shop", "orders", ["", "1"], -1, "ann", ["eng"])
    assert sorted(p.values[0] for p in ps) == ["2024-01-01", "2024-01-02"], ps
    assert c.get_partition_names_ps("shop", "orders", ["2024-01-01"], -1) == ["dt=2024-01-01/hour=1", "dt=2024-01-01/hour=2"]
    got = c.get_partitions_by_filter("shop", "orders", 'dt = "2024-01-02" and hour > 5', -1)
    assert [p.values for p in got] == [["2024-01-02", "10"]], got
    assert len(c.get_partitions_by_names("shop", "orders", ["dt=2024-01-01/hour=2", "dt=2030-01-01/hour=1"])) == 1
    assert len(c.get_partitions("shop", "orders", -1)) == 4
    p = c.get_partition("shop", "orders", ["2024-01-01", "2"])
    p.parameters = {"numRows": "5"}
    c.alter_partition("shop", "orders", p)
    assert c.get_partition("shop", "orders", ["2024-01-01", "2"]).parameters["numRows"] == "5"
    c.rename_partition("shop", "orders", ["2024-01-01", "2"], part("2024-01-01", 3))
    expect(T.NoSuchObjectException, c.get_partition, "shop", "orders", ["2024-01-01", "2"])
    assert c.drop_partition("shop", "orders", ["2024-01-01", "3"], False)
    assert c.drop_partition_by_name("shop", "orders", "dt=2024-01-02/hour=10", False)
    expect(T.NoSuchObjectException, c.drop_partition, "shop", "orders", ["2024-01-01", "3"], False)
    assert len(c.get_partitions("shop", "orders", -1)) == 2
    add_partition(part("2024-01-05", 1))
    add_partition(part("2024-01-06", 1))
    r = c.drop_partitions_req(T.DropPartitionsRequest(dbName="shop", tblName="orders", parts=T.RequestPartsSpec(names=["dt=2024-01-05/hour=1", "dt=2024-01-06/hour=1", "dt=2099-01-01/hour=1"]), deleteData=False, ifExists=True, needResult=True))
    assert sorted(p.values[0] for p in r.partitions) == ["2024-01-05", "2024-01-06"], r
    assert len(c.get_partitions("shop", "orders", -1)) == 2

    # A managed table in its database's folder moves its folder with a new name, and
    # its partitions' locations follow, as in Hive; the old name is then free.
    os.makedirs(f"{scratch}/shop/orders/dt=2024-01-01/hour=1", exist_ok=True)
    renamed = c.get_table("shop", "orders")
    renamed.tableName = "orders2"
    c.alter_table("shop", "orders", renamed)
    assert c.get_table("shop", "orders2").sd.location == f"file:{scratch}/shop/orders2"
    assert os.path.isdir(f"{scratch}/shop/orders2/dt=2024-01-01/hour=1") and not os.path.exists(f"{scratch}/shop/orders")
    locs = sorted(p.sd.location for p in c.get_partitions("shop", "orders2", -1))
    assert locs == [f"file:{scratch}/shop/orders2/dt=2024-01-01/hour=1", f"file:{scratch}/shop/orders2/dt=2024-01-02/hour=1"], locs
    expect(T.NoSuchObjectException, c.get_table, "shop", "orders")
    back = c.get_table("shop", "orders2")
    back.tableName = "orders"
    c.alter_table("shop", "orders2", back)
    assert c.get_partition("shop", "orders", ["2024-01-01", "1"]).sd.location == f"file:{scratch}/shop/orders/dt=2024-01-01/hour=1"

    # Column statistics, table and partition level (the same records Glue serves).
    def desc(part=None):
        return T.ColumnStatisticsDesc(isTblLevel=part is None, dbName="shop", tableName="orders", partName=part, lastAnalyzed=1700000000)
    long_obj = T.ColumnStatisticsObj("id", "bigint", T.ColumnStatisticsData(longStats=T.LongColumnStatsData(lowValue=1, highValue=99, numNulls=0, numDVs=50)))
    str_obj = T.ColumnStatisticsObj("v", "string", T.ColumnStatisticsData(stringStats=T.StringColumnStatsData(maxColLen=9, avgColLen=4.5, numNulls=2, numDVs=7)))
    assert c.update_table_column_statistics(T.ColumnStatistics(desc(), [long_obj, str_obj]))
    r = c.get_table_statistics_req(T.TableStatsRequest(dbName="shop", tblName="orders", colNames=["id", "v", "nope"]))
    assert [(o.colName, o.statsData.longStats.highValue if o.statsData.longStats else o.statsData.stringStats.avgColLen) for o in r.tableStats] == [("id", 99), ("v", 4.5)], r
    cs = c.get_table_column_statistics("shop", "orders", "id")
    assert cs.statsDesc.isTblLevel and cs.statsDesc.lastAnalyzed == 1700000000 and cs.statsObj[0].statsData.longStats.numDVs == 50, cs
    wrong = T.ColumnStatisticsObj("id", "string", T.ColumnStatisticsData(stringStats=T.StringColumnStatsData(maxColLen=1, avgColLen=1.0, numNulls=0, numDVs=1)))
    expect(T.InvalidInputException, c.update_table_column_statistics, T.ColumnStatistics(desc(), [wrong]))
    assert c.update_partition_column_statistics(T.ColumnStatistics(desc("dt=2024-01-01/hour=1"), [long_obj]))
    r = c.get_partitions_statistics_req(T.PartitionsStatsRequest(dbName="shop", tblName="orders", colNames=["id"], partNames=["dt=2024-01-01/hour=1", "dt=2024-01-02/hour=1"]))
    assert list(r.partStats) == ["dt=2024-01-01/hour=1"] and r.partStats["dt=2024-01-01/hour=1"][0].statsData.longStats.lowValue == 1, r
    assert c.delete_table_column_statistics("shop", "orders", "v")
    expect(T.NoSuchObjectException, c.get_table_column_statistics, "shop", "orders", "v")
    assert c.delete_partition_column_statistics("shop", "orders", "dt=2024-01-01/hour=1", "id")
    expect(T.NoSuchObjectException, c.get_partition_column_statistics, "shop", "orders", "dt=2024-01-01/hour=1", "id")

    # Functions
    f = T.Function(functionName="Upper2", dbName="shop", className="com.example.Upper", ownerName="ann", ownerType=1, createTime=0, functionType=1, resourceUris=[T.ResourceUri(1, "file:/tmp/u.jar")])
    c.create_function(f)
    expect(T.AlreadyExistsException, c.create_function, f)
    assert c.get_function("shop", "upper2").className == "com.example.Upper"
    assert c.get_functions("shop", "up*") == ["upper2"]
    assert [x.functionName for x in c.get_all_functions().functions] == ["upper2"]
    c.drop_function("shop", "upper2")
    expect(T.NoSuchObjectException, c.get_function, "shop", "upper2")

    # Locks: an exclusive lock makes the next one wait until it is released.
    def lock():
        comp = T.LockComponent(type=T.LockType.EXCLUSIVE, level=T.LockLevel.TABLE, dbname="shop", tablename="orders")
        return c.lock(T.LockRequest(component=[comp], user="ann", hostname="h"))
    a = lock()
    b = lock()
    assert (a.state, b.state) == (T.LockState.ACQUIRED, T.LockState.WAITING), (a, b)
    c.unlock(T.UnlockRequest(lockid=a.lockid))
    assert c.check_lock(T.CheckLockRequest(lockid=b.lockid)).state == T.LockState.ACQUIRED
    c.unlock(T.UnlockRequest(lockid=b.lockid))
    expect(T.NoSuchLockException, c.unlock, T.UnlockRequest(lockid=b.lockid))

    # Dropping a managed table removes its folder; dropping a database with tables needs cascade.
    expect(T.InvalidOperationException, c.drop_database, "shop", True, False)
    c.drop_table("shop", "orders", True)
    assert not os.path.exists(f"{scratch}/shop/orders")
    expect(T.NoSuchObjectException, c.drop_table, "shop", "orders", True)
    c.drop_database("shop", True, True)
    expect(T.NoSuchObjectException, c.get_database, "shop")
print("ok")
