"""The SparkSession the Spark tests share: local, one core, Hive support with the
given metastore, quiet. Scripts in tests/*/ import it after putting tests/ on
sys.path (see their first lines)."""
from pyspark.sql import SparkSession


def hive_session(app, thrift_uri, scratch, conf=None):
    """A session whose Hive metastore is `thrift_uri`; `conf` adds settings."""
    b = (
        SparkSession.builder.master("local[1]")
        .appName(app)
        .config("spark.sql.catalogImplementation", "hive")
        .config("spark.hadoop.hive.metastore.uris", thrift_uri)
        .config("spark.sql.warehouse.dir", f"file://{scratch}/warehouse")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.driver.memory", "512m")
    )
    for k, v in (conf or {}).items():
        b = b.config(k, v)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
