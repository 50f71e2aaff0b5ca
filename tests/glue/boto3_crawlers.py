"""boto3 drives lakecat's managed crawlers against a real S3-compatible server (moto).

Run by tests/crawlers.rs: argv = lakecat endpoint, moto endpoint. lakecat runs with
--clock-speed 3000, so a five-minute schedule fires about every tick. Every check is
an assert; the script prints "ok" at the end.
"""
import concurrent.futures
import http.server
import json
import sys
import threading
import time
import urllib.request

import boto3

lakecat, moto, confirm_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
kw = dict(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
glue = boto3.client("glue", endpoint_url=lakecat, **kw)
s3 = boto3.client("s3", endpoint_url=moto, **kw)
sns = boto3.client("sns", endpoint_url=moto, **kw)
E = glue.exceptions


def expect(exc, fn, **args):
    try:
        fn(**args)
    except exc as e:
        return e
    raise SystemExit(f"expected {exc.__name__} from {fn.__name__}({args})")


def put(key, body):
    s3.put_object(Bucket="lake", Key=key, Body=body.encode())


def wait_ready(name, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        c = glue.get_crawler(Name=name)["Crawler"]
        if c["State"] == "READY":
            return c
        time.sleep(0.05)
    raise SystemExit(f"crawler {name} did not become READY")


def run(name):
    glue.start_crawler(Name=name)
    c = wait_ready(name)
    assert c["LastCrawl"]["Status"] == "SUCCEEDED", c["LastCrawl"]
    crawls = glue.list_crawls(CrawlerName=name)["Crawls"]
    return json.loads(crawls[0]["Summary"])


def partitions(table):
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName="lakedb", TableName=table)
    return sorted(tuple(p["Values"]) for pg in pages for p in pg["Partitions"])


row = '{"id": 1, "name": "a"}\n{"id": 2, "name": "b"}\n'
s3.create_bucket(Bucket="lake")
for d in range(1, 4):
    put(f"sales/dt=2024-01-0{d}/part-0.json", row)

# ---- definitions and Glue's validation
sales = {
    "Name": "sales",
    "Role": "arn:aws:iam::123456789012:role/crawler",
    "DatabaseName": "lakedb",
    "Description": "daily sales",
    "Targets": {"S3Targets": [{"Path": "s3://lake/sales/"}]},
    "SchemaChangePolicy": {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DEPRECATE_IN_DATABASE"},
    "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_EVERYTHING"},
    "Configuration": json.dumps({"Version": 1.0, "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}}}),
    "Tags": {"team": "ops"},
}
glue.create_crawler(**sales)
expect(E.AlreadyExistsException, glue.create_crawler, **sales)
e = expect(E.InvalidInputException, glue.create_crawler, **dict(sales, Name="j", Targets={"JdbcTargets": [{"ConnectionName": "c", "Path": "db/%"}]}))
assert "JdbcTargets" in str(e), e
e = expect(E.InvalidInputException, glue.create_crawler, **dict(sales, Name="s", Schedule="cron(* * * * ? *)"))
assert "5 minutes" in str(e), e
e = expect(E.InvalidInputException, glue.create_crawler, **dict(sales, Name="c", Configuration='{"Version":1.0,"Bogus":{}}'))
assert "unsupported key Bogus" in str(e), e
e = expect(E.InvalidInputException, glue.create_crawler, **dict(sales, Name="n", RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}))
assert "LOG" in str(e), e
expect(E.EntityNotFoundException, glue.create_crawler, **dict(sales, Name="k", Classifiers=["nope"]))
expect(E.EntityNotFoundException, glue.get_crawler, Name="nope")
c = glue.get_crawler(Name="sales")["Crawler"]
assert c["State"] == "READY" and c["Targets"]["S3Targets"][0]["Path"] == "s3://lake/sales/", c
assert c["Version"] == 1 and hasattr(c["CreationTime"], "year"), c
assert glue.list_crawlers(Tags={"team": "ops"})["CrawlerNames"] == ["sales"]
assert glue.list_crawlers(Tags={"team": "x"})["CrawlerNames"] == []
glue.update_crawler(Name="sales", Description="all sales")
c = glue.get_crawler(Name="sales")["Crawler"]
assert c["Description"] == "all sales" and c["Version"] == 2 and c["DatabaseName"] == "lakedb", c
r = glue.batch_get_crawlers(CrawlerNames=["sales", "ghost"])
assert [x["Name"] for x in r["Crawlers"]] == ["sales"] and r["CrawlersNotFound"] == ["ghost"], r

# ---- a run: READY -> RUNNING -> READY, tables written, history and metrics
summary = run("sales")
assert summary["TablesCreated"] == 1 and summary["FilesRead"] == 3, summary
t = glue.get_table(DatabaseName="lakedb", Name="sales")["Table"]
assert [k["Name"] for k in t["PartitionKeys"]] == ["dt"], t
assert t["Parameters"]["UPDATED_BY_CRAWLER"] == "sales", t["Parameters"]
assert len(partitions("sales")) == 3
m = glue.get_crawler_metrics(CrawlerNameList=["sales"])["CrawlerMetricsList"][0]
assert m["CrawlerName"] == "sales" and m["TablesCreated"] == 1 and m["LastRuntimeSeconds"] > 0, m
assert m["MedianRuntimeSeconds"] > 0 and m["TimeLeftSeconds"] == 0 and not m["StillEstimating"], m
# An unchanged lake: listed, not read.
summary = run("sales")
assert summary["FilesRead"] == 0 and summary["FilesReused"] == 3, summary
crawls = glue.list_crawls(CrawlerName="sales")["Crawls"]
assert [x["State"] for x in crawls] == ["COMPLETED", "COMPLETED"], crawls
assert crawls[0]["StartTime"] >= crawls[1]["StartTime"]
first = crawls[1]["CrawlId"]
r = glue.list_crawls(CrawlerName="sales", Filters=[{"FieldName": "CRAWL_ID", "FilterOperator": "EQ", "FieldValue": first}])
assert [x["CrawlId"] for x in r["Crawls"]] == [first], r
r = glue.list_crawls(CrawlerName="sales", Filters=[{"FieldName": "STATE", "FilterOperator": "NE", "FieldValue": "COMPLETED"}])
assert r["Crawls"] == [], r

# ---- stop: a big lake, stopped at once, ends CANCELLED and writes no table
keys = [f"big/dt=2024-02-{d:02d}/part-{i}.json" for d in range(1, 21) for i in range(60)]
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda k: put(k, row), keys))
glue.create_crawler(Name="big", Role="r", DatabaseName="lakedb", Targets={"S3Targets": [{"Path": "s3://lake/big/"}]})
glue.start_crawler(Name="big")
expect(E.CrawlerRunningException, glue.start_crawler, Name="big")
expect(E.CrawlerRunningException, glue.update_crawler, Name="big", Description="x")
expect(E.CrawlerRunningException, glue.delete_crawler, Name="big")
glue.stop_crawler(Name="big")
state = glue.get_crawler(Name="big")["Crawler"]["State"]
assert state in ("STOPPING", "READY"), state
c = wait_ready("big")
assert c["LastCrawl"]["Status"] == "CANCELLED", c["LastCrawl"]
assert glue.list_crawls(CrawlerName="big")["Crawls"][0]["State"] == "STOPPED"
expect(E.EntityNotFoundException, glue.get_table, DatabaseName="lakedb", Name="big")
expect(E.CrawlerNotRunningException, glue.stop_crawler, Name="big")

# ---- CRAWL_NEW_FOLDERS_ONLY: after the first run, only new folders are read
glue.create_crawler(Name="news", Role="r", DatabaseName="lakedb", TablePrefix="n_",
                    Targets={"S3Targets": [{"Path": "s3://lake/sales/"}]},
                    RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
                    SchemaChangePolicy={"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"})
assert run("news")["FilesRead"] == 3
put("sales/dt=2024-01-04/part-0.json", row)
put("sales/dt=2024-01-01/part-1.json", '{"id": 3, "name": "c", "late": true}\n')
summary = run("news")
assert summary["FilesRead"] == 1 and summary["FilesReused"] == 4, summary
assert len(partitions("n_sales")) == 4
cols = [c["Name"] for c in glue.get_table(DatabaseName="lakedb", Name="n_sales")["Table"]["StorageDescriptor"]["Columns"]]
assert "late" not in cols, cols

# ---- CRAWL_EVENT_MODE: S3 -> SNS -> lakecat's endpoint, real event JSON
glue.create_crawler(Name="events", Role="r", DatabaseName="lakedb", TablePrefix="e_",
                    Targets={"S3Targets": [{"Path": "s3://lake/sales/"}]},
                    RecrawlPolicy={"RecrawlBehavior": "CRAWL_EVENT_MODE"})
assert run("events")["FilesRead"] == 5  # the first run is a full crawl
summary = run("events")
assert summary["FilesRead"] == 0 and "no pending S3 events" in " ".join(summary["Notes"]), summary
topic = sns.create_topic(Name="lake-events")["TopicArn"]
sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"{lakecat}/v1/events/s3")
s3.put_bucket_notification_configuration(Bucket="lake", NotificationConfiguration={
    "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]})
put("sales/dt=2024-01-05/part-0.json", row)
time.sleep(0.5)  # moto delivers to the subscription synchronously; a margin anyway
summary = run("events")
assert summary["FilesRead"] == 1, summary
assert len(partitions("e_sales")) == 5
# Consumed: the next run has nothing to do.
assert run("events")["FilesRead"] == 0

# The SNS subscription handshake: lakecat visits the SubscribeURL (its host is the
# one in --sns-confirm-hosts).
visited = []


class Confirm(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        visited.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"<ConfirmSubscriptionResponse/>")

    def log_message(self, *a):
        pass


srv = http.server.HTTPServer(("127.0.0.1", confirm_port), Confirm)
threading.Thread(target=srv.serve_forever, daemon=True).start()
body = json.dumps({"Type": "SubscriptionConfirmation", "TopicArn": topic, "Token": "t0k",
                   "SubscribeURL": f"http://127.0.0.1:{srv.server_port}/confirm?Token=t0k"}).encode()
req = urllib.request.Request(f"{lakecat}/v1/events/s3", data=body, method="POST",
                             headers={"x-amz-sns-message-type": "SubscriptionConfirmation", "Content-Type": "text/plain"})
answer = json.loads(urllib.request.urlopen(req).read())
assert answer["confirmed"] is True and visited == ["/confirm?Token=t0k"], (answer, visited)
srv.shutdown()

# ---- schedules (a fast clock: cron(0/5 ...) fires every tick)
expect(E.NoScheduleException, glue.start_crawler_schedule, CrawlerName="sales")
glue.update_crawler_schedule(CrawlerName="sales", Schedule="cron(0/5 * * * ? *)")
c = glue.get_crawler(Name="sales")["Crawler"]
assert c["Schedule"] == {"ScheduleExpression": "cron(0/5 * * * ? *)", "State": "SCHEDULED"}, c["Schedule"]
expect(E.SchedulerRunningException, glue.start_crawler_schedule, CrawlerName="sales")
end = time.time() + 30
while len(glue.list_crawls(CrawlerName="sales")["Crawls"]) < 5 and time.time() < end:
    time.sleep(0.1)
assert len(glue.list_crawls(CrawlerName="sales")["Crawls"]) >= 5, "the schedule did not fire"
glue.stop_crawler_schedule(CrawlerName="sales")
expect(E.SchedulerNotRunningException, glue.stop_crawler_schedule, CrawlerName="sales")
wait_ready("sales")
n = len(glue.list_crawls(CrawlerName="sales")["Crawls"])
time.sleep(1)
assert len(glue.list_crawls(CrawlerName="sales")["Crawls"]) == n, "runs after the schedule stopped"
# A due run while the previous one runs is skipped and recorded (big takes longer than a tick).
glue.update_crawler(Name="big", Schedule="cron(0/5 * * * ? *)")
end = time.time() + 30
states = []
while "SKIPPED" not in states and time.time() < end:
    states = [x["State"] for x in glue.list_crawls(CrawlerName="big")["Crawls"]]
    time.sleep(0.1)
assert "SKIPPED" in states, states
glue.stop_crawler_schedule(CrawlerName="big")
try:
    glue.stop_crawler(Name="big")
except E.CrawlerNotRunningException:
    pass
wait_ready("big")

# ---- classifiers
glue.create_classifier(CsvClassifier={"Name": "Pipes", "Delimiter": "|", "QuoteSymbol": '"',
                                      "ContainsHeader": "PRESENT", "Header": ["id", "name"]})
glue.create_classifier(JsonClassifier={"Name": "rows", "JsonPath": "$[*]"})
expect(E.AlreadyExistsException, glue.create_classifier, JsonClassifier={"Name": "rows", "JsonPath": "$[*]"})
e = expect(E.InvalidInputException, glue.create_classifier, XMLClassifier={"Name": "x", "Classification": "xml", "RowTag": "r r"})
assert "not an element name" in str(e), e
e = expect(E.InvalidInputException, glue.create_classifier, CsvClassifier={"Name": "bad", "Delimiter": "||"})
cl = glue.get_classifier(Name="pipes")["Classifier"]["CsvClassifier"]
assert cl["Delimiter"] == "|" and cl["Header"] == ["id", "name"] and cl["Version"] == 1, cl
glue.update_classifier(CsvClassifier={"Name": "pipes", "ContainsHeader": "ABSENT"})
cl = glue.get_classifier(Name="pipes")["Classifier"]["CsvClassifier"]
assert cl["ContainsHeader"] == "ABSENT" and cl["Delimiter"] == "|" and cl["Version"] == 2, cl
# A grok classifier: typed fields, custom patterns; a bad pattern is refused with its reason.
wiki = "%{NOTSPACE:language} %{NOTSPACE:page_title} %{NUMBER:hits:long} %{MYSIZE:retrieved_size:int}"
glue.create_classifier(GrokClassifier={"Name": "Wiki", "Classification": "wikidata", "GrokPattern": wiki,
                                       "CustomPatterns": "MYSIZE %{INT}"})
e = expect(E.InvalidInputException, glue.create_classifier,
           GrokClassifier={"Name": "badgrok", "Classification": "x", "GrokPattern": "%{NOSUCH:a}"})
assert "NOSUCH" in str(e), e
e = expect(E.InvalidInputException, glue.create_classifier,
           GrokClassifier={"Name": "badtype", "Classification": "x", "GrokPattern": "%{INT:a:integer}"})
assert "integer" in str(e), e
g = glue.get_classifier(Name="wiki")["Classifier"]["GrokClassifier"]
assert g["GrokPattern"] == wiki and g["Classification"] == "wikidata" and g["Version"] == 1, g
glue.update_classifier(GrokClassifier={"Name": "wiki", "Classification": "wikistats"})
g = glue.get_classifier(Name="wiki")["Classifier"]["GrokClassifier"]
assert g["Classification"] == "wikistats" and g["CustomPatterns"] == "MYSIZE %{INT}" and g["Version"] == 2, g
names = sorted((x.get("CsvClassifier") or x.get("JsonClassifier") or x.get("GrokClassifier"))["Name"]
               for x in glue.get_classifiers()["Classifiers"])
assert names == ["pipes", "rows", "wiki"], names
put("wiki/day=1/part-0.log", "en Main_Page 42 1024\nde Hauptseite 7 512\n")
put("wiki/day=2/part-0.log", "fr Accueil 3 256\n")
glue.create_crawler(Name="grokked", Role="r", DatabaseName="lakedb", Classifiers=["wiki"],
                    Targets={"S3Targets": [{"Path": "s3://lake/wiki/"}]})
run("grokked")
t = glue.get_table(DatabaseName="lakedb", Name="wiki")["Table"]
sd = t["StorageDescriptor"]
assert [(c["Name"], c["Type"]) for c in sd["Columns"]] == [
    ("language", "string"), ("page_title", "string"), ("hits", "bigint"), ("retrieved_size", "int")], sd
assert sd["SerdeInfo"]["SerializationLibrary"] == "com.amazonaws.glue.serde.GrokSerDe", sd
assert sd["SerdeInfo"]["Parameters"] == {"input.format": wiki, "input.grokCustomPatterns": "MYSIZE %{INT}"}, sd
assert sd["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat", sd
assert t["Parameters"]["classification"] == "wikistats" and t["Parameters"]["recordCount"] == "3", t["Parameters"]
assert [k["Name"] for k in t["PartitionKeys"]] == ["day"], t
# The built-in log classifiers need no classifier at all: an Apache combined log.
line = ('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 '
        '"http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"')
put("weblogs/access.log", line + "\n" + line.replace("frank", "-") + "\n")
glue.create_crawler(Name="weblogs", Role="r", DatabaseName="lakedb",
                    Targets={"S3Targets": [{"Path": "s3://lake/weblogs/"}]})
run("weblogs")
t = glue.get_table(DatabaseName="lakedb", Name="weblogs")["Table"]
assert t["Parameters"]["classification"] == "combined_apache", t["Parameters"]
assert [c["Name"] for c in t["StorageDescriptor"]["Columns"]][:3] == ["clientip", "ident", "auth"], t
assert t["StorageDescriptor"]["SerdeInfo"]["Parameters"]["input.format"] == "%{COMBINEDAPACHELOG}", t
# A crawler applies its classifiers: headerless pipe-delimited text gets the names.
put("pipes/part-0.txt", "x|y\nz|w\n")
glue.create_crawler(Name="classified", Role="r", DatabaseName="lakedb", Classifiers=["pipes"],
                    Targets={"S3Targets": [{"Path": "s3://lake/pipes/"}]})
run("classified")
t = glue.get_table(DatabaseName="lakedb", Name="pipes")["Table"]
assert [c["Name"] for c in t["StorageDescriptor"]["Columns"]] == ["id", "name"], t
assert t["StorageDescriptor"]["SerdeInfo"]["Parameters"]["field.delim"] == "|", t
assert t["Parameters"]["recordCount"] == "2", t["Parameters"]
glue.delete_classifier(Name="rows")
expect(E.EntityNotFoundException, glue.get_classifier, Name="rows")

glue.delete_crawler(Name="news")
expect(E.EntityNotFoundException, glue.get_crawler, Name="news")
# Deleting a crawler never deletes its tables.
glue.get_table(DatabaseName="lakedb", Name="n_sales")
print("ok")
