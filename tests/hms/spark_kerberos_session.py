"""pyspark's Hive client signing in to lakecat's Thrift port with Kerberos, as it
signs in to a kerberized Hive Metastore: hive.metastore.sasl.enabled, the
service principal, and Spark's own principal and keytab (SparkSubmit logs in
from it). argv = host:port of the Thrift front, a scratch folder, the realm's
folder (scripts/kdc.sh: krb5.conf, spark.keytab). Hadoop is told to use
Kerberos through a core-site.xml in the scratch folder. Prints "ok"."""
import os
import sys

thrift, scratch, realm = sys.argv[1], sys.argv[2], sys.argv[3]
conf_dir = os.path.join(scratch, "hadoop-conf")
os.makedirs(conf_dir, exist_ok=True)
with open(os.path.join(conf_dir, "core-site.xml"), "w") as f:
    f.write(
        "<configuration><property><name>hadoop.security.authentication</name>"
        "<value>kerberos</value></property></configuration>"
    )
os.environ["HADOOP_CONF_DIR"] = conf_dir
os.environ["KRB5_CONFIG"] = f"{realm}/krb5.conf"

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from hive_spark import hive_session  # noqa: E402

port = thrift.rsplit(":", 1)[1]
# The service principal's host is the one in the URI, as Hive's client replaces
# _HOST with it.
spark = hive_session("lakecat-hms-kerberos", f"thrift://localhost:{port}", scratch, {
    "spark.hadoop.hive.metastore.sasl.enabled": "true",
    "spark.hadoop.hive.metastore.kerberos.principal": "hive/_HOST@LAKECAT.TEST",
    "spark.hadoop.hadoop.security.authentication": "kerberos",
    # Privacy, as kerberized clusters often require: every frame encrypted (the
    # test's server offers nothing else).
    "spark.hadoop.hadoop.rpc.protection": "privacy",
    "spark.kerberos.principal": "spark@LAKECAT.TEST",
    "spark.kerberos.keytab": f"{realm}/spark.keytab",
    "spark.driver.extraJavaOptions": f"-Djava.security.krb5.conf={realm}/krb5.conf",
})
sql = spark.sql

sql("CREATE DATABASE kerb")
assert "kerb" in [r[0] for r in sql("SHOW DATABASES").collect()]
sql("CREATE TABLE kerb.ev (id BIGINT, dt STRING) USING parquet PARTITIONED BY (dt)")
sql("INSERT INTO kerb.ev VALUES (1, '2024-01-01'), (2, '2024-01-02'), (3, '2024-01-02')")
parts = [r[0] for r in sql("SHOW PARTITIONS kerb.ev").collect()]
assert parts == ["dt=2024-01-01", "dt=2024-01-02"], parts
n = sql("SELECT count(*) FROM kerb.ev WHERE dt LIKE '2024-01-0%'").collect()[0][0]
assert n == 3, n
spark.stop()
print("ok")
