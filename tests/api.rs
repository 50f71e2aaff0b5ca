//! The REST API end to end, in process, over the sled store (or PostgreSQL,
//! see `common::on_postgres`).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use lakecat::app::app;
use lakecat::http::AppState;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

struct Api {
    router: axum::Router,
    store: Arc<dyn lakecat_catalog_api::store::CatalogStore>,
    _dir: tempfile::TempDir,
}

impl Api {
    fn new() -> Api {
        let dir = tempfile::tempdir().unwrap();
        let store = common::test_store(dir.path(), 5);
        Api {
            router: app(AppState::new(store.clone()), 64 * 1024),
            store,
            _dir: dir,
        }
    }

    async fn raw(&self, method: &str, uri: &str, body: Option<String>) -> (StatusCode, String) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn call(&self, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (s, text) = self.raw(method, uri, body.map(|b| b.to_string())).await;
        (
            s,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            },
        )
    }
}

fn table_body() -> Value {
    json!({
        "name": "Events", "table_type": "EXTERNAL_TABLE",
        "partition_keys": [{"name": "dt", "type": "string"}, {"name": "hour", "type": "int"}],
        "parameters": {"classification": "parquet", "owner_team": "growth"},
        "storage_descriptor": {"columns": [{"name": "user_id", "type": "BIGINT"}, {"name": "payload", "type": "struct<a:int>"}],
                               "location": "s3://b/events/"}
    })
}

fn err_code(v: &Value) -> &str {
    v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error body: {v}"))
}

#[tokio::test]
async fn databases_tables_versions() {
    let api = Api::new();
    let (s, v) = api
        .call(
            "POST",
            "/v1/databases",
            Some(json!({"name": "Analytics", "description": "d"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["name"], "analytics");
    let (s, v) = api
        .call("POST", "/v1/databases", Some(json!({"name": "analytics"})))
        .await;
    assert_eq!((s, err_code(&v)), (StatusCode::CONFLICT, "already_exists"));
    let (s, v) = api.call("GET", "/v1/databases/nope", None).await;
    assert_eq!((s, err_code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, v) = api
        .call(
            "PUT",
            "/v1/databases/analytics",
            Some(json!({"name": "analytics", "description": "new"})),
        )
        .await;
    assert_eq!(
        (s, v["description"].as_str()),
        (StatusCode::OK, Some("new"))
    );

    let (s, v) = api
        .call("POST", "/v1/databases/analytics/tables", Some(table_body()))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["storage_descriptor"]["columns"][0]["type"], "bigint");
    assert_eq!(v["version_id"], 1);
    let (_, t) = api
        .call("GET", "/v1/databases/analytics/tables/EVENTS", None)
        .await;
    assert_eq!(t["database_name"], "analytics");

    // GET, edit, PUT back: optimistic concurrency through version_id.
    let mut edit = t.clone();
    edit["description"] = json!("v2");
    let (s, v) = api
        .call(
            "PUT",
            "/v1/databases/analytics/tables/events",
            Some(edit.clone()),
        )
        .await;
    assert_eq!(
        (s, v["version_id"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{v}"
    );
    edit["description"] = json!("stale");
    let (s, v) = api
        .call("PUT", "/v1/databases/analytics/tables/events", Some(edit))
        .await;
    assert_eq!((s, err_code(&v)), (StatusCode::CONFLICT, "conflict"));
    let (_, t) = api
        .call("GET", "/v1/databases/analytics/tables/events", None)
        .await;
    assert_eq!(t["description"], "v2");
    let (_, v) = api
        .call(
            "GET",
            "/v1/databases/analytics/tables/events/versions",
            None,
        )
        .await;
    let ids: Vec<u64> = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["version_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [2, 1]);

    // Renames need ?rename=true; the table moves with its versions.
    let mut moved = t.clone();
    moved["name"] = json!("events_v2");
    moved["version_id"] = json!(null);
    let (s, v) = api
        .call(
            "PUT",
            "/v1/databases/analytics/tables/events",
            Some(moved.clone()),
        )
        .await;
    assert_eq!(
        (s, err_code(&v)),
        (StatusCode::BAD_REQUEST, "invalid_input"),
        "{v}"
    );
    let (s, v) = api
        .call(
            "PUT",
            "/v1/databases/analytics/tables/events?rename=true",
            Some(moved.clone()),
        )
        .await;
    assert_eq!(
        (s, v["name"].as_str()),
        (StatusCode::OK, Some("events_v2")),
        "{v}"
    );
    let (s, _) = api
        .call("GET", "/v1/databases/analytics/tables/events", None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, v) = api
        .call(
            "GET",
            "/v1/databases/analytics/tables/events_v2/versions",
            None,
        )
        .await;
    assert_eq!(v["versions"].as_array().unwrap().len(), 3);
    moved["name"] = json!("events");
    let (s, v) = api
        .call(
            "PUT",
            "/v1/databases/analytics/tables/events_v2?rename=true",
            Some(moved),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    for n in ["clicks", "orders"] {
        let mut b = table_body();
        b["name"] = json!(n);
        assert_eq!(
            api.call("POST", "/v1/databases/analytics/tables", Some(b))
                .await
                .0,
            StatusCode::CREATED
        );
    }
    let (_, v) = api
        .call("GET", "/v1/databases/analytics/tables?max_results=2", None)
        .await;
    assert_eq!(v["tables"].as_array().unwrap().len(), 2);
    let tok = v["next_page_token"].as_str().unwrap().to_string();
    let (_, v) = api
        .call(
            "GET",
            &format!("/v1/databases/analytics/tables?max_results=2&page_token={tok}"),
            None,
        )
        .await;
    assert_eq!(v["tables"][0]["name"], "orders");
    assert!(v.get("next_page_token").is_none());
    let (_, v) = api
        .call("GET", "/v1/databases/analytics/tables?pattern=c.*", None)
        .await;
    assert_eq!(v["tables"].as_array().unwrap().len(), 1);
    let (s, v) = api
        .call("GET", "/v1/databases/analytics/tables?pattern=(", None)
        .await;
    assert_eq!(
        (s, err_code(&v)),
        (StatusCode::BAD_REQUEST, "invalid_input")
    );

    let (_, v) = api
        .call("GET", "/v1/search/tables?q=GROWTH%20user_id", None)
        .await;
    assert_eq!(v["tables"].as_array().unwrap().len(), 3);
    let (_, v) = api
        .call("GET", "/v1/search/tables?q=growth&max_results=1", None)
        .await;
    let tok = v["next_page_token"].as_str().unwrap().to_string();
    let (_, v2) = api
        .call(
            "GET",
            &format!("/v1/search/tables?q=growth&max_results=5&page_token={tok}"),
            None,
        )
        .await;
    assert_eq!(v2["tables"].as_array().unwrap().len(), 2);
    assert_ne!(v["tables"][0]["name"], v2["tables"][0]["name"]);

    let (s, v) = api.call("DELETE", "/v1/databases/analytics", None).await;
    assert_eq!(
        (s, err_code(&v)),
        (StatusCode::BAD_REQUEST, "invalid_input")
    );
    let (s, _) = api
        .call("DELETE", "/v1/databases/analytics/tables/clicks", None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = api
        .call("DELETE", "/v1/databases/analytics?cascade=true", None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = api.call("GET", "/v1/databases", None).await;
    assert_eq!(v["databases"], json!([]));
}

#[tokio::test]
async fn partitions_batches_filters_and_single_addressing() {
    let api = Api::new();
    api.call("POST", "/v1/databases", Some(json!({"name": "d"})))
        .await;
    api.call("POST", "/v1/databases/d/tables", Some(table_body()))
        .await;
    let base = "/v1/databases/d/tables/events";
    let mut parts: Vec<Value> = (0..24)
        .map(|h| json!({"values": ["2024-01-01", h.to_string()]}))
        .collect();
    parts.push(json!({"values": ["2024-01-01", "3"]}));
    parts.push(json!({"values": ["only-one"]}));
    parts.push(json!({"values": ["a/b=c", "1"], "storage_descriptor": {"location": "s3://b/x/"}}));
    let (s, v) = api
        .call(
            "POST",
            &format!("{base}/partitions"),
            Some(json!({ "partitions": parts })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let errs = v["errors"].as_array().unwrap();
    assert_eq!(errs.len(), 2, "{v}");
    assert_eq!(errs[0]["values"], json!(["2024-01-01", "3"]));
    assert_eq!(errs[0]["error"]["code"], "already_exists");
    assert_eq!(errs[1]["error"]["code"], "invalid_input");

    let (_, v) = api
        .call(
            "GET",
            &format!(
                "{base}/partitions?filter=dt%20%3D%20%272024-01-01%27%20AND%20hour%20%3E%2020"
            ),
            None,
        )
        .await;
    let hours: Vec<&str> = v["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["values"][1].as_str().unwrap())
        .collect();
    assert_eq!(hours, ["21", "22", "23"]);
    let (s, v) = api
        .call(
            "GET",
            &format!("{base}/partitions?filter=hour%20%3E%20%27x%27"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 1, column 8"),
        "{v}"
    );
    let (_, v) = api
        .call("GET", &format!("{base}/partitions?max_results=10"), None)
        .await;
    assert_eq!(v["partitions"].as_array().unwrap().len(), 10);
    assert!(v["next_page_token"].is_string());
    let (s, _) = api
        .call("GET", &format!("{base}/partitions?max_results=1001"), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Values holding '/' and '=' are addressed unambiguously.
    let (s, v) = api
        .call(
            "GET",
            &format!("{base}/partition?values=a%2Fb%3Dc&values=1"),
            None,
        )
        .await;
    assert_eq!(
        (s, v["storage_descriptor"]["location"].as_str()),
        (StatusCode::OK, Some("s3://b/x/")),
        "{v}"
    );
    let (s, v) = api
        .call(
            "PUT",
            &format!("{base}/partition?values=a%2Fb%3Dc&values=1"),
            Some(json!({"values": ["a/b=c", "2"], "parameters": {"k": "v"}})),
        )
        .await;
    assert_eq!(
        (s, v["values"][1].as_str()),
        (StatusCode::OK, Some("2")),
        "{v}"
    );
    let (s, _) = api
        .call(
            "GET",
            &format!("{base}/partition?values=a%2Fb%3Dc&values=1"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api
        .call(
            "DELETE",
            &format!("{base}/partition?values=a%2Fb%3Dc&values=2"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = api
        .call(
            "DELETE",
            &format!("{base}/partition?values=a%2Fb%3Dc&values=2"),
            None,
        )
        .await;
    assert_eq!((s, err_code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, v) = api.call("GET", &format!("{base}/partition"), None).await;
    assert_eq!(
        (s, err_code(&v)),
        (StatusCode::BAD_REQUEST, "invalid_input")
    );

    let del =
        json!({"partitions": [{"values": ["2024-01-01", "0"]}, {"values": ["2024-01-09", "0"]}]});
    let (_, v) = api
        .call("POST", &format!("{base}/partitions/delete"), Some(del))
        .await;
    assert_eq!(v["errors"].as_array().unwrap().len(), 1);
    assert_eq!(v["errors"][0]["error"]["code"], "not_found");

    let big: Vec<Value> = (0..1001)
        .map(|i| json!({"values": ["x", i.to_string()]}))
        .collect();
    let memory: Arc<dyn lakecat_catalog_api::store::CatalogStore> =
        Arc::new(lakecat_catalog_api::memory::MemoryStore::new(5));
    let api_big = Api {
        router: app(AppState::new(memory.clone()), 1 << 20),
        store: memory,
        _dir: tempfile::tempdir().unwrap(),
    };
    api_big
        .call("POST", "/v1/databases", Some(json!({"name": "d"})))
        .await;
    api_big
        .call("POST", "/v1/databases/d/tables", Some(table_body()))
        .await;
    let (s, v) = api_big
        .call(
            "POST",
            &format!("{base}/partitions"),
            Some(json!({ "partitions": big })),
        )
        .await;
    assert_eq!(
        (s, err_code(&v)),
        (StatusCode::BAD_REQUEST, "limit_exceeded")
    );
}

#[tokio::test]
async fn bad_requests_say_what_is_wrong() {
    let api = Api::new();
    let (s, t) = api
        .raw("POST", "/v1/databases", Some("{\"name\": ".into()))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        t.contains("invalid JSON body") && t.contains("line 1"),
        "{t}"
    );
    let (s, v) = api
        .call(
            "POST",
            "/v1/databases",
            Some(json!({"name": "x", "descripton": "typo"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `descripton`"),
        "{v}"
    );
    let (s, v) = api
        .call("POST", "/v1/databases", Some(json!({"name": ""})))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("must not be empty"),
        "{v}"
    );
    api.call("POST", "/v1/databases", Some(json!({"name": "d"})))
        .await;
    let mut t = table_body();
    t["storage_descriptor"]["columns"][1]["type"] = json!("struct<a:in>");
    let (s, v) = api.call("POST", "/v1/databases/d/tables", Some(t)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("storage_descriptor.columns[1].type") && msg.contains("position 9"),
        "{msg}"
    );
    let (s, v) = api
        .raw(
            "POST",
            "/v1/databases",
            Some(format!("{{\"name\":\"{}\"}}", "x".repeat(70_000))),
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v.contains("too_large"));
    let (s, v) = api.call("GET", "/v1/databases?bogus=1", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = api.call("GET", "/v1/nowhere", None).await;
    assert_eq!((s, err_code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, _) = api.call("PATCH", "/v1/databases", None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
}

/// `GET /v1/events`: resuming from the last id misses nothing and repeats
/// nothing, a waiting request answers as soon as a write commits, filters
/// keep the resume point, and a resume from before the retention is refused.
#[tokio::test]
async fn the_change_feed_resumes_waits_and_filters() {
    let api = Api::new();
    let (s, v) = api.call("GET", "/v1/events", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"events": [], "next_after": 0}));
    for d in ["a", "b", "c"] {
        let (s, _) = api
            .call("POST", "/v1/databases", Some(json!({"name": d})))
            .await;
        assert!(s.is_success());
    }
    let (s, _) = api
        .call("POST", "/v1/databases/a/tables", Some(table_body()))
        .await;
    assert!(s.is_success());
    let (_, v) = api.call("GET", "/v1/events?limit=2", None).await;
    let ids: Vec<u64> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(v["events"][0]["type"], "CREATE_DATABASE");
    assert_eq!(v["events"][0]["database"], "a");
    assert_eq!(v["events"][0]["detail"]["database"]["name"], "a");
    assert!(
        v["events"][0]["time"].as_str().unwrap().ends_with('Z'),
        "{v}"
    );
    let (_, v) = api
        .call(
            "GET",
            &format!("/v1/events?after={}", v["next_after"]),
            None,
        )
        .await;
    let rest: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(rest, ["CREATE_DATABASE", "CREATE_TABLE"]);
    assert_eq!(v["events"][1]["table"], "events");
    assert_eq!(v["next_after"], 4);

    // A filter skips events but still moves the resume point on.
    let (_, v) = api
        .call("GET", "/v1/events?after=0&types=create_table", None)
        .await;
    assert_eq!(v["events"].as_array().unwrap().len(), 1);
    assert_eq!(v["next_after"], 4);
    let (_, v) = api.call("GET", "/v1/events?after=0&database=b", None).await;
    assert_eq!(v["events"][0]["id"], 2);

    // A waiting reader answers once a write commits, not at the end of its wait.
    let waiter = {
        let router = api.router.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let req = Request::builder()
                .uri("/v1/events?after=4&wait=30")
                .body(Body::empty())
                .unwrap();
            let resp = router.oneshot(req).await.unwrap();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (
                started.elapsed(),
                serde_json::from_slice::<Value>(&bytes).unwrap(),
            )
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (s, _) = api.call("DELETE", "/v1/databases/c", None).await;
    assert!(s.is_success());
    let (waited, v) = waiter.await.unwrap();
    assert!(
        waited < std::time::Duration::from_secs(10),
        "waited {waited:?}"
    );
    assert_eq!(v["events"][0]["type"], "DROP_DATABASE", "{v}");
    assert_eq!(v["events"][0]["id"], 5);

    // Nothing new: an empty answer after the wait, resuming where it was.
    let (_, v) = api.call("GET", "/v1/events?after=5&wait=1", None).await;
    assert_eq!(v, json!({"events": [], "next_after": 5}));

    // Past the retention: refused with what is missing, not silently skipped.
    let kept = lakecat_catalog_api::events::Retention {
        max_events: Some(2),
        max_age_secs: None,
    };
    assert_eq!(api.store.trim_events(&kept).unwrap(), 3);
    let (s, v) = api.call("GET", "/v1/events?after=1", None).await;
    assert_eq!(s, StatusCode::GONE, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the oldest kept is 4"),
        "{v}"
    );
    let (s, v) = api.call("GET", "/v1/events", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["events"][0]["id"], 4);
    let (s, _) = api.call("GET", "/v1/events?after=3", None).await;
    assert_eq!(s, StatusCode::OK);
    // Big events: an answer stops at its byte budget and the rest follows.
    let (s, _) = api
        .call("POST", "/v1/databases/b/tables", Some(table_body()))
        .await;
    assert!(s.is_success());
    let (_, before) = api.call("GET", "/v1/events?after=4&limit=1000", None).await;
    let start = before["next_after"].as_u64().unwrap();
    // (Through the store: the test router's body limit is 64 KiB.)
    let long = "x".repeat(1000);
    let id = lakecat_catalog_api::TableIdent::parse("b", "events").unwrap();
    for b in 0..12 {
        let parts: Vec<lakecat_catalog_api::model::Partition> = (0..1000)
            .map(|i| {
                let mut p =
                    lakecat_catalog_api::model::Partition::new(vec![b.to_string(), i.to_string()]);
                p.storage_descriptor = Some(lakecat_catalog_api::model::StorageDescriptor {
                    location: Some(format!("s3://b/{long}/{b}/{i}/")),
                    ..Default::default()
                });
                p
            })
            .collect();
        assert!(api
            .store
            .create_partitions(&id, parts, false)
            .unwrap()
            .is_empty());
    }
    let (_, page) = api
        .call("GET", &format!("/v1/events?after={start}&limit=1000"), None)
        .await;
    let got = page["events"].as_array().unwrap().len();
    assert!(
        (1..12).contains(&got),
        "{got} events of about 1 MB in one answer"
    );
    let next = page["next_after"].as_u64().unwrap();
    assert_eq!(next, page["events"][got - 1]["id"].as_u64().unwrap());
    let (_, rest) = api
        .call("GET", &format!("/v1/events?after={next}&limit=1000"), None)
        .await;
    assert_eq!(rest["events"][0]["id"].as_u64(), Some(next + 1));
    for bad in ["limit=0", "limit=1001", "wait=61", "after=-1"] {
        let (s, _) = api.call("GET", &format!("/v1/events?{bad}"), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// `GET /v1/events/stream`: server-sent events that resume from `Last-Event-ID`
/// and go on as writes commit.
#[tokio::test]
async fn the_change_stream_resumes_from_the_last_event_id() {
    let api = Api::new();
    for d in ["a", "b", "c"] {
        let (s, _) = api
            .call("POST", "/v1/databases", Some(json!({"name": d})))
            .await;
        assert!(s.is_success());
    }
    let req = Request::builder()
        .uri("/v1/events/stream")
        .header("last-event-id", "1")
        .body(Body::empty())
        .unwrap();
    let resp = api.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let mut text = String::new();
    let next_ids = |text: &str| -> Vec<u64> {
        text.lines()
            .filter_map(|l| l.strip_prefix("id: "))
            .map(|i| i.parse().unwrap())
            .collect()
    };
    async fn more(body: &mut Body, text: &mut String) {
        let f = tokio::time::timeout(std::time::Duration::from_secs(10), body.frame())
            .await
            .expect("a frame within 10 s")
            .unwrap()
            .unwrap();
        if let Ok(d) = f.into_data() {
            text.push_str(std::str::from_utf8(&d).unwrap());
        }
    }
    while next_ids(&text).len() < 2 {
        more(&mut body, &mut text).await;
    }
    assert_eq!(next_ids(&text), [2, 3], "{text}");
    assert!(text.contains("event: change"), "{text}");
    let first: Value =
        serde_json::from_str(text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap()).unwrap();
    assert_eq!(
        (first["id"].as_u64(), first["database"].as_str()),
        (Some(2), Some("b"))
    );
    // A write after the stream opened arrives on it.
    let (s, _) = api.call("DELETE", "/v1/databases/a", None).await;
    assert!(s.is_success());
    while next_ids(&text).len() < 3 {
        more(&mut body, &mut text).await;
    }
    assert_eq!(next_ids(&text), [2, 3, 4]);
    assert!(text.contains("DROP_DATABASE"), "{text}");
    let (s, _) = api.raw("GET", "/v1/events/stream?wait=1", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn service_routes() {
    let api = Api::new();
    let (s, v) = api.call("GET", "/health", None).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("ok")));
    api.call("POST", "/v1/databases", Some(json!({"name": "m"})))
        .await;
    let (s, text) = api.raw("GET", "/metrics", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        text.contains("lakecat_store_objects{kind=\"databases\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "lakecat_http_requests_total{method=\"POST\",route=\"/v1/databases\",status=\"201\"}"
        ),
        "{text}"
    );
    assert!(
        text.contains("lakecat_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("lakecat_store_size_bytes"));
    let (s, text) = api.raw("GET", "/openapi.yaml", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.starts_with("openapi: 3"));
}

#[tokio::test]
async fn partition_indexes_and_column_statistics_over_rest() {
    let api = Api::new();
    api.call("POST", "/v1/databases", Some(json!({"name": "lake"})))
        .await;
    let (s, _) = api
        .call("POST", "/v1/databases/lake/tables", Some(table_body()))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let parts: Vec<Value> = (0..30)
        .map(|i| json!({"values": [format!("2024-01-{:02}", i % 10 + 1), (i % 3).to_string()]}))
        .collect();
    api.call(
        "POST",
        "/v1/databases/lake/tables/events/partitions",
        Some(json!({ "partitions": parts })),
    )
    .await;

    // Indexes
    let (s, v) = api
        .call(
            "POST",
            "/v1/databases/lake/tables/events/indexes",
            Some(json!({"index_name": "By_Hour", "keys": ["hour"]})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["index_name"], "by_hour");
    let (s, v) = api
        .call(
            "POST",
            "/v1/databases/lake/tables/events/indexes",
            Some(json!({"index_name": "x", "keys": ["nope"]})),
        )
        .await;
    assert_eq!(
        (s, err_code(&v)),
        (StatusCode::BAD_REQUEST, "invalid_input")
    );
    let (_, v) = api
        .call("GET", "/v1/databases/lake/tables/events/indexes", None)
        .await;
    assert_eq!(v["indexes"].as_array().unwrap().len(), 1, "{v}");
    let (_, v) = api
        .call(
            "GET",
            "/v1/databases/lake/tables/events/partitions?filter=hour%20%3D%202&max_results=1000",
            None,
        )
        .await;
    assert_eq!(v["partitions"].as_array().unwrap().len(), 10, "{v}");
    let (s, _) = api
        .call(
            "DELETE",
            "/v1/databases/lake/tables/events/indexes/by_hour",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = api
        .call(
            "DELETE",
            "/v1/databases/lake/tables/events/indexes/by_hour",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Column statistics of the table and of one partition.
    let long = |min: i64, max: i64| {
        json!({"column_name": "user_id", "column_type": "bigint", "analyzed_time": 1700000000,
               "statistics_data": {"type": "LONG", "long_column_statistics_data":
                   {"minimum_value": min, "maximum_value": max, "number_of_nulls": 0, "number_of_distinct_values": 5}}})
    };
    let (s, v) = api
        .call(
            "PUT",
            "/v1/databases/lake/tables/events/statistics",
            Some(json!({"statistics": [long(1, 9), {"column_name": "nope", "column_type": "bigint",
                "analyzed_time": 1, "statistics_data": {"type": "LONG", "long_column_statistics_data":
                {"number_of_nulls": 0, "number_of_distinct_values": 1}}}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["errors"][0]["statistics"]["column_name"], "nope", "{v}");
    assert_eq!(v["errors"][0]["error"]["code"], "not_found", "{v}");
    let part = "values=2024-01-01&values=0";
    api.call(
        "PUT",
        &format!("/v1/databases/lake/tables/events/statistics?{part}"),
        Some(json!({"statistics": [long(100, 200)]})),
    )
    .await;
    let (_, v) = api
        .call("GET", "/v1/databases/lake/tables/events/statistics", None)
        .await;
    let got = &v["statistics"][0]["statistics_data"]["long_column_statistics_data"];
    assert_eq!(got["maximum_value"], 9, "{v}");
    let (_, v) = api
        .call(
            "GET",
            &format!("/v1/databases/lake/tables/events/statistics?{part}&columns=user_id"),
            None,
        )
        .await;
    let got = &v["statistics"][0]["statistics_data"]["long_column_statistics_data"];
    assert_eq!(got["maximum_value"], 200, "{v}");
    let (s, _) = api
        .call(
            "DELETE",
            "/v1/databases/lake/tables/events/statistics?column=user_id",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = api
        .call("GET", "/v1/databases/lake/tables/events/statistics", None)
        .await;
    assert_eq!(v["statistics"], json!([]), "{v}");
    let (s, v) = api
        .call(
            "DELETE",
            "/v1/databases/lake/tables/events/statistics",
            None,
        )
        .await;
    assert_eq!(
        (s, err_code(&v)),
        (StatusCode::BAD_REQUEST, "invalid_input")
    );
}
