"""Glue's XML classifiers, defined with boto3 and checked against Spark's XML source,
whose behaviour Glue documents its XML reading follows.

    xml_classifier_spark.py LAKECAT THRIFT LAKE SCRATCH

LAKE is an empty local folder. A managed crawler with an XMLClassifier crawls XML
files; the table's columns must be what Spark's XML source infers from the same
files (names lower-cased, Spark types in Hive spelling), and Spark, with lakecat as
its metastore, must read through the crawled table the rows its XML source reads
from the files. Every check is an assert; prints "ok".
"""
import os
import sys

import boto3

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from glue_crawl import run_crawler  # noqa: E402

lakecat, thrift, lake, scratch = sys.argv[1:5]
os.makedirs(f"{lake}/books", exist_ok=True)
os.makedirs(f"{lake}/notes", exist_ok=True)
with open(f"{lake}/books/a.xml", "w") as f:
    f.write("""<?xml version="1.0" encoding="UTF-8"?>
<catalog>
  <book id="bk101" lang="en">
    <author>Gambardella, Matthew</author>
    <title>XML Developer&apos;s Guide &amp; more</title>
    <price>44.95</price>
    <count>3</count>
    <ok>true</ok>
    <published>2000-10-01T10:00:00</published>
    <day>2000-10-01</day>
    <tag>a</tag><tag>b</tag>
    <dims unit="cm"><w>1</w><h>2.5</h></dims>
    <note type="x">hello</note>
    <Mixed>1</Mixed>
    <empty></empty>
  </book>
  <book id="bk102">
    <author>Ralls, Kim</author>
    <price>5</price>
    <count>12345678901</count>
    <tag>c</tag>
    <dims unit="in"><w>3</w></dims>
  </book>
  <!-- a self-closing row is no row for Glue's classifier -->
</catalog>
""")
# A second file: a value that widens a type, a tag once per row (a value here, an
# array in the first file), a field the first file lacks.
with open(f"{lake}/books/b.xml", "w") as f:
    f.write("""<catalog><book id="bk103"><author>Corets, Eva</author><price>5.95</price>
<count>7</count><tag>d</tag><dims unit="mm"><w>4</w><h>1</h></dims><note type="y">bye</note><Zeta>z</Zeta>
<Mixed>2</Mixed><ok>false</ok><published>2001-01-01T00:00:00</published><day>2001-01-01</day>
<title>Maeve</title><empty></empty></book></catalog>
""")
# XML without the row tag: no table of markup.
with open(f"{lake}/notes/n.xml", "w") as f:
    f.write('<?xml version="1.0"?><notes><note>x</note></notes>\n')

glue = boto3.client("glue", endpoint_url=lakecat, region_name="us-east-1",
                    aws_access_key_id="testing", aws_secret_access_key="testing")
E = glue.exceptions
glue.create_classifier(XMLClassifier={"Name": "Books", "Classification": "xml", "RowTag": "row"})
glue.update_classifier(XMLClassifier={"Name": "books", "RowTag": "book"})
cl = glue.get_classifier(Name="books")["Classifier"]["XMLClassifier"]
assert cl["RowTag"] == "book" and cl["Classification"] == "xml" and cl["Version"] == 2, cl
try:
    glue.create_classifier(XMLClassifier={"Name": "bad", "Classification": "xml", "RowTag": "<book>"})
except E.InvalidInputException as e:
    assert "not an element name" in str(e), e
else:
    raise SystemExit("a RowTag with markup was accepted")

glue.create_crawler(Name="xml", Role="r", DatabaseName="xmldb", Classifiers=["books"],
                    Targets={"S3Targets": [{"Path": lake}]})
last = run_crawler(glue, "xml")
assert last["Status"] == "SUCCEEDED", last
tables = {t["Name"]: t for t in glue.get_tables(DatabaseName="xmldb")["TableList"]}
assert sorted(tables) == ["books"], sorted(tables)
t = tables["books"]
p, sd = t["Parameters"], t["StorageDescriptor"]
assert p["classification"] == "xml" and p["rowTag"] == "book", p
assert p["spark.sql.sources.provider"] == "xml" and p["UPDATED_BY_CRAWLER"] == "xml", p
assert sd["SerdeInfo"]["Parameters"]["rowTag"] == "book", sd
assert sd["SerdeInfo"]["Parameters"]["path"] == sd["Location"] == f"file://{lake}/books/", sd
assert p["recordCount"] == "3", p

from hive_spark import hive_session  # noqa: E402
from pyspark.sql.types import ArrayType, StructType  # noqa: E402

spark = hive_session("lakecat-xml", f"thrift://{thrift}", scratch)

HIVE = {"long": "bigint", "integer": "int", "double": "double", "boolean": "boolean", "date": "date",
        "timestamp": "timestamp", "timestamp_ntz": "timestamp", "string": "string"}


def hive(dt):
    if isinstance(dt, StructType):
        return "struct<" + ",".join(f"{f.name}:{hive(f.dataType)}" for f in dt.fields) + ">"
    if isinstance(dt, ArrayType):
        return f"array<{hive(dt.elementType)}>"
    return HIVE[dt.typeName()]


direct = spark.read.format("xml").option("rowTag", "book").load(f"file://{lake}/books/")
want = {f.name.lower(): hive(f.dataType).lower() for f in direct.schema.fields}
got = {c["Name"]: c["Type"].lower() for c in sd["Columns"]}
assert got == want, (got, want)
# The columns come in Spark's order (by name, upper case first).
assert [c["Name"] for c in sd["Columns"]] == [f.name.lower() for f in direct.schema.fields], sd["Columns"]

# Spark reads the crawled table through lakecat: the rows its XML source reads.
through = spark.table("xmldb.books")
key = lambda r: r["_id"]  # noqa: E731
a = sorted((r.asDict(recursive=True) for r in through.collect()), key=key)
b = sorted((r.asDict(recursive=True) for r in direct.collect()), key=key)
assert len(a) == 3 and a == b, (a, b)
print("ok")
