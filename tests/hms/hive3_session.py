"""A Hive 3 client (PyPI hive-metastore-client, generated from Hive 3's IDL)
against lakecat's Thrift front: argv = host:port, scratch folder. Catalogs,
`@catalog#db` database names and the Hive 3 request structs. Prints "ok"."""
import sys

from hive_metastore_client import HiveMetastoreClient
from thrift_files.libraries.thrift_hive_metastore_client.ttypes import (
    AlreadyExistsException, Catalog, CreateCatalogRequest, Database, FieldSchema, GetCatalogRequest,
    GetTableRequest, InvalidObjectException, MetaException, NoSuchObjectException, Partition,
    AddPartitionsRequest, SerDeInfo, StorageDescriptor, Table)

host, port = sys.argv[1].rsplit(":", 1)
scratch = sys.argv[2]


def sd(location):
    return StorageDescriptor(cols=[FieldSchema("id", "bigint", "")], location=location,
                             inputFormat="org.apache.hadoop.mapred.TextInputFormat",
                             outputFormat="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                             serdeInfo=SerDeInfo(serializationLib="org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", parameters={}),
                             parameters={})


with HiveMetastoreClient(host, int(port)) as c:
    # One catalog, hive; others are refused clearly.
    assert c.get_catalogs().names == ["hive"], c.get_catalogs()
    assert c.get_catalog(GetCatalogRequest("hive")).catalog.name == "hive"
    try:
        c.get_catalog(GetCatalogRequest("spark"))
        raise SystemExit("expected NoSuchObjectException")
    except NoSuchObjectException as e:
        assert "lakecat serves one catalog" in e.message, e.message
    for name, exc in [("hive", AlreadyExistsException), ("other", InvalidObjectException)]:
        try:
            c.create_catalog(CreateCatalogRequest(Catalog(name=name, locationUri="file:/tmp/x")))
            raise SystemExit(f"expected {exc.__name__}")
        except exc:
            pass

    # Databases by @catalog#name, as Hive 3 clients send them.
    c.create_database(Database(name="sales3", description="d", locationUri=f"file:{scratch}/sales3",
                               parameters={}, catalogName="hive"))
    assert c.get_database("@hive#sales3").name == "sales3"
    assert c.get_databases("@hive#sal*") == ["sales3"], c.get_databases("@hive#sal*")
    assert "sales3" in c.get_databases("@hive#")
    try:
        c.get_database("@spark#sales3")
        raise SystemExit("expected NoSuchObjectException")
    except NoSuchObjectException:
        pass

    # Tables and partitions with Hive 3 structs.
    c.create_table(Table(tableName="ev", dbName="sales3", owner="ann", sd=sd(f"file:{scratch}/sales3/ev"),
                         partitionKeys=[FieldSchema("dt", "string", "")], parameters={},
                         tableType="EXTERNAL_TABLE", catName="hive"))
    t = c.get_table_req(GetTableRequest(dbName="sales3", tblName="ev", catName="hive")).table
    assert t.tableName == "ev" and t.owner == "ann", t
    try:
        c.get_table_req(GetTableRequest(dbName="sales3", tblName="ev", catName="spark"))
        raise SystemExit("expected an exception for catalog spark")
    except (MetaException, NoSuchObjectException):
        pass
    assert c.get_tables("@hive#sales3", "e*") == ["ev"]
    metas = c.get_table_meta("@hive#sal*", "*", [])
    assert [(m.dbName, m.tableName) for m in metas] == [("sales3", "ev")], metas
    parts = [Partition(values=[d], dbName="sales3", tableName="ev", sd=sd(f"file:{scratch}/sales3/ev/dt={d}"),
                       parameters={}, catName="hive") for d in ["2024-01-01", "2024-01-02", "2024-02-01"]]
    r = c.add_partitions_req(AddPartitionsRequest(dbName="sales3", tblName="ev", parts=parts, ifNotExists=False,
                                                  needResult=True, catName="hive"))
    assert len(r.partitions) == 3, r
    got = c.get_partitions_by_filter("@hive#sales3", "ev", 'dt like "2024-01.*"', -1)
    assert sorted(p.values[0] for p in got) == ["2024-01-01", "2024-01-02"], got
    assert c.get_partition_names("@hive#sales3", "ev", -1) == ["dt=2024-01-01", "dt=2024-01-02", "dt=2024-02-01"]
    c.drop_table("@hive#sales3", "ev", True)
    c.drop_database("@hive#sales3", True, True)
    assert "sales3" not in c.get_all_databases()
print("ok")
