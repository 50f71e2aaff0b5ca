//! The web console's pages, in process over the test store: every value a page
//! shows is text (names, parameters, partition values, queries holding markup),
//! links round-trip any name, partitions page under a filter, versions compare,
//! the DDL editor points at errors, and under `--auth sigv4` pages need a session
//! that only the right secret or token buys, forms from other sites are refused
//! and grants apply. The browser session is `console_in_a_real_browser`.

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use lakecat::http::AppState;
use lakecat_catalog_api::model::{Column, Database, Partition, StorageDescriptor, Table};
use lakecat_catalog_api::store::{CatalogStore, UpdateTableOptions};
use lakecat_catalog_api::{DatabaseName, TableIdent, TableName};
use std::sync::Arc;
use tower::ServiceExt;

struct Console {
    router: axum::Router,
    store: Arc<dyn CatalogStore>,
    _dir: tempfile::TempDir,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Console {
    fn new() -> Console {
        let dir = tempfile::tempdir().unwrap();
        let store = common::test_store(dir.path(), 10);
        Console {
            router: lakecat::app::app(AppState::new(store.clone()), 1 << 20),
            store,
            _dir: dir,
        }
    }

    /// Under `--auth sigv4` with `keys`; `admins` turns permissions on.
    fn with_auth(keys: &str, admins: Option<Vec<String>>) -> Console {
        let dir = tempfile::tempdir().unwrap();
        let store = common::test_store(dir.path(), 10);
        let mut state = AppState::new(store.clone());
        if let Some(admins) = admins {
            let auth = Arc::new(lakecat::services::permissions::Authorizer::new(
                store.clone(),
                admins,
            ));
            state.store = Arc::new(lakecat::services::permissions::GuardedStore {
                inner: store.clone(),
                auth: auth.clone(),
            });
            state.permissions = Some(auth);
        }
        let keys = Arc::new(lakecat::http::sigv4::Keys::parse(keys).unwrap());
        let router = lakecat::app::app_with_auth(
            state,
            1 << 20,
            Some(keys),
            lakecat::net::BodyBudget::new(64 << 20, 1 << 20),
        );
        Console {
            router,
            store,
            _dir: dir,
        }
    }

    async fn send(&self, req: Request<Body>) -> Page {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn get(&self, uri: &str, cookie: Option<&str>) -> Page {
        let mut req = Request::get(uri).header("host", "console.test");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, uri: &str, form: &[(&str, &str)], headers: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut req = Request::post(uri)
            .header("host", "console.test")
            .header("content-type", "application/x-www-form-urlencoded");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }
}

impl Page {
    fn ok(self) -> Page {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        self
    }

    /// Every `href` on the page that starts with `prefix`, decoded from HTML.
    fn links(&self, prefix: &str) -> Vec<String> {
        self.body
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .map(|h| h.replace("&amp;", "&"))
            .filter(|h| h.starts_with(prefix))
            .collect()
    }

    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn rows(&self, class: &str) -> usize {
        let Some(start) = self.body.find(&format!("<table class=\"{class}\"")) else {
            return 0;
        };
        let table = &self.body[start..];
        let end = table.find("</table>").unwrap();
        table[..end].matches("<tr>").count() - 1
    }
}

/// No markup from the catalog survives as markup.
fn assert_inert(page: &Page) {
    for raw in ["<script", "<img", "<svg", "<b>", "<i>", "<x>"] {
        assert!(
            !page.body.contains(raw),
            "{raw} reached the page as markup:\n{}",
            page.body
        );
    }
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
}

const EVIL_DB: &str = "<script>alert('db')</script>";
const EVIL_TABLE: &str = "t\"<svg onload=alert(1)>é✓/?#";

fn evil_catalog(store: &dyn CatalogStore) -> TableIdent {
    let mut db = Database::new(DatabaseName::new(EVIL_DB).unwrap());
    db.description = Some("\"quotes\" & 'apostrophes' <img src=x onerror=alert(1)>".into());
    db.parameters.insert("<b>k</b>".into(), "<i>v</i>".into());
    store.create_database(db).unwrap();
    let mut t = Table::new(TableName::new(EVIL_TABLE).unwrap());
    t.description = Some("<script>alert('table')</script> naïve ☃".into());
    let mut c = Column::new("<x>", "struct<inner:array<string>,n:int>");
    c.comment = Some("<script>alert('column')</script>".into());
    t.storage_descriptor = Some(StorageDescriptor {
        columns: vec![c],
        location: Some("s3://lake/<script>alert('loc')</script>/".into()),
        ..Default::default()
    });
    t.partition_keys = vec![Column::new("dt", "string")];
    t.parameters
        .insert("classification".into(), "<img src=x>".into());
    let name = DatabaseName::new(EVIL_DB).unwrap();
    let t = store.create_table(&name, t).unwrap();
    let id = TableIdent::new(name, t.name);
    store
        .create_partitions(
            &id,
            vec![
                Partition::new(vec!["<script>alert('part')</script>".into()]),
                Partition::new(vec!["ünïcödé ✓".into()]),
            ],
            false,
        )
        .unwrap();
    id
}

#[tokio::test]
async fn hostile_names_and_values_stay_text_on_every_page() {
    let c = Console::new();
    evil_catalog(&*c.store);
    let index = c.get("/ui", None).await.ok();
    assert_inert(&index);
    assert!(index
        .body
        .contains("&lt;script&gt;alert('db')&lt;/script&gt;"));
    assert!(index.body.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // The link carries the name percent-encoded and leads back to it.
    let db_link = index
        .links("/ui/databases/")
        .pop()
        .expect("a database link");
    assert!(
        !db_link.contains('<') && !db_link.contains('\''),
        "{db_link}"
    );
    let db = c.get(&db_link, None).await.ok();
    assert_inert(&db);
    assert!(db.body.contains("&lt;b&gt;k&lt;/b&gt;"), "{}", db.body);
    let table_link = db
        .links(&format!("{db_link}/tables/"))
        .pop()
        .expect("a table link");
    assert!(!table_link.contains('#') && !table_link.contains('?'));
    let table = c.get(&table_link, None).await.ok();
    assert_inert(&table);
    for text in [
        "t&quot;&lt;svg onload=alert(1)&gt;é✓/?#",
        "naïve ☃",
        "&lt;script&gt;alert('column')&lt;/script&gt;",
        "&lt;script&gt;alert('part')&lt;/script&gt;",
        "ünïcödé ✓",
        "s3://lake/&lt;script&gt;alert('loc')&lt;/script&gt;/",
        "<summary><code>struct</code>",
    ] {
        assert!(table.body.contains(text), "{text} not on the page");
    }
    assert_eq!(table.rows("partitions"), 2);
    let versions = c.get(&format!("{table_link}/versions"), None).await.ok();
    assert_inert(&versions);
    // What a visitor types comes back as text too.
    let q = "<script>alert('q')</script>";
    let search = c
        .get(
            &format!(
                "/ui/search?q={}",
                form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            ),
            None,
        )
        .await
        .ok();
    assert_inert(&search);
    assert!(search
        .body
        .contains("&lt;script&gt;alert('q')&lt;/script&gt;"));
    let search = c.get("/ui/search?q=column", None).await.ok();
    assert_eq!(search.links(&table_link).len(), 1, "{}", search.body);
    let filtered = c
        .get(&format!("{table_link}?filter=%3Cscript%3E"), None)
        .await
        .ok();
    assert_inert(&filtered);
    assert!(filtered.body.contains("id=\"filter-error\""));
    assert!(filtered.body.contains("value=\"&lt;script&gt;\""));
    let ddl = c
        .post(
            "/ui/ddl",
            &[
                ("sql", "DROP TABLE `<script>x</script>`"),
                ("database", "<b>"),
            ],
            &[],
        )
        .await;
    assert_inert(&ddl);
    assert!(ddl.body.contains("id=\"ddl-error\""), "{}", ddl.body);
    let missing = c.get("/ui/databases/%3Cscript%3E", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_inert(&missing);
    assert!(missing.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let nowhere = c.get("/ui/no/such/page", None).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert!(nowhere.body.contains("<html"));
}

fn plain_table(store: &dyn CatalogStore, db: &str, name: &str, partitions: usize) -> TableIdent {
    let dbn = DatabaseName::new(db).unwrap();
    if store.get_database(&dbn).is_err() {
        store.create_database(Database::new(dbn.clone())).unwrap();
    }
    let mut t = Table::new(TableName::new(name).unwrap());
    t.storage_descriptor = Some(StorageDescriptor {
        columns: vec![Column::new("id", "bigint"), Column::new("v", "int")],
        location: Some(format!("s3://lake/{name}/")),
        ..Default::default()
    });
    t.partition_keys = vec![Column::new("part", "string")];
    store.create_table(&dbn, t).unwrap();
    let id = TableIdent::parse(db, name).unwrap();
    let parts = (0..partitions)
        .map(|i| Partition::new(vec![format!("p{i:04}")]))
        .collect();
    store.create_partitions(&id, parts, false).unwrap();
    id
}

#[tokio::test]
async fn partitions_come_a_page_at_a_time_under_a_filter() {
    let c = Console::new();
    plain_table(&*c.store, "lake", "events", 250);
    let url = "/ui/databases/lake/tables/events";
    let first = c.get(url, None).await.ok();
    assert!(first.body.contains("Partitions (250)"), "{}", first.body);
    assert_eq!(first.rows("partitions"), 100);
    let next = first.links(&format!("{url}?page_token="));
    assert_eq!(next.len(), 1);
    let second = c.get(&next[0], None).await.ok();
    assert_eq!(second.rows("partitions"), 100);
    assert!(second.body.contains("p0100") && !second.body.contains("p0099"));
    let third = c
        .get(&second.links(&format!("{url}?page_token="))[0], None)
        .await
        .ok();
    assert_eq!(third.rows("partitions"), 50);
    assert!(third.links(&format!("{url}?page_token=")).is_empty());
    // A filter is kept across pages and narrows the listing.
    let f = c
        .get(
            &format!("{url}?filter=part%20%3E%3D%20'p0050'%20AND%20part%20%3C%20'p0200'"),
            None,
        )
        .await
        .ok();
    assert_eq!(f.rows("partitions"), 100);
    let more = f.links(&format!("{url}?page_token="));
    assert!(more[0].contains("filter=part"), "{more:?}");
    assert_eq!(c.get(&more[0], None).await.ok().rows("partitions"), 50);
    // A wrong filter says why beside the box; the rest of the page is there.
    let bad = c
        .get(&format!("{url}?filter=nokey%20%3D%201"), None)
        .await
        .ok();
    assert!(bad.body.contains("id=\"filter-error\""));
    assert!(bad.body.contains("nokey"), "{}", bad.body);
    assert!(bad.body.contains("Columns"));
    // The database page counts partitions and links every table.
    let db = c.get("/ui/databases/lake", None).await.ok();
    assert!(
        db.body.contains("<td class=\"num\">250</td>"),
        "{}",
        db.body
    );
    let index = c.get("/ui", None).await.ok();
    assert!(
        index.body.contains("<td class=\"num\">1</td>"),
        "{}",
        index.body
    );
}

#[tokio::test]
async fn versions_compare_side_by_side() {
    let c = Console::new();
    let id = plain_table(&*c.store, "lake", "evolving", 0);
    let mut t = c.store.get_table(&id).unwrap();
    let sd = t.storage_descriptor.as_mut().unwrap();
    sd.columns[1].type_ = "bigint".into();
    sd.columns.push(Column::new("added", "string"));
    sd.columns.remove(0);
    t.parameters.insert("owner_team".into(), "data".into());
    c.store
        .update_table(&id, t, UpdateTableOptions::default())
        .unwrap();
    let url = "/ui/databases/lake/tables/evolving/versions";
    let page = c.get(url, None).await.ok();
    assert!(
        page.body.contains("Version 1 beside version 2"),
        "{}",
        page.body
    );
    for row in [
        "<tr class=\"removed\"><td>id</td>",
        "<tr class=\"type-changed\"><td>v</td><td><code>int</code></td><td><code>bigint</code></td>",
        "<tr class=\"added\"><td>added</td>",
        "<td>Parameter owner_team</td>",
    ] {
        assert!(page.body.contains(row), "{row} missing:\n{}", page.body);
    }
    let swapped = c.get(&format!("{url}?a=2&b=1"), None).await.ok();
    assert!(swapped.body.contains("<tr class=\"added\"><td>id</td>"));
    let missing = c.get(&format!("{url}?a=9&b=1"), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_ddl_editor_runs_scripts_and_points_at_the_failing_line() {
    let c = Console::new();
    let script = "CREATE DATABASE shop;\nCREATE TABLE shop.orders (id bigint, note string);\n  CREATE TABLE shop.orders (id bigint);\nSHOW TABLES IN shop;";
    let page = c
        .post("/ui/ddl", &[("sql", script), ("database", "default")], &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("already exists"), "{}", page.body);
    assert!(
        page.body
            .contains("Statement 3 failed</strong> at line 3, column 3"),
        "{}",
        page.body
    );
    // The failing line is quoted with a caret under where the statement starts.
    assert!(page
        .body
        .contains("  CREATE TABLE shop.orders (id bigint);\n  ^"));
    assert!(page
        .body
        .contains("CREATE TABLE shop.orders (id bigint, note string);"));
    assert!(c
        .store
        .get_table(&TableIdent::parse("shop", "orders").unwrap())
        .is_ok());
    let page = c
        .post(
            "/ui/ddl",
            &[("sql", "SHOW TABLES"), ("database", "shop")],
            &[],
        )
        .await
        .ok();
    assert!(page.body.contains("<td>orders</td>"), "{}", page.body);
    assert!(page.body.contains("1 rows"));
}

#[tokio::test]
async fn pages_need_a_session_that_only_the_right_secret_or_token_buys() {
    let c = Console::with_auth("AKIDUI:ui-secret", None);
    plain_table(&*c.store, "lake", "events", 3);
    let anon = c.get("/ui/databases/lake", None).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert_eq!(anon.location(), "/ui/login?next=%2Fui%2Fdatabases%2Flake");
    assert!(!anon.body.contains("events"));
    c.get("/ui/login", None).await.ok();
    assert_eq!(
        c.get("/ui/static/console.css", None).await.status,
        StatusCode::OK
    );
    let wrong = c
        .post(
            "/ui/login",
            &[
                ("access_key_id", "AKIDUI"),
                ("secret_access_key", "nope"),
                ("next", "/ui/databases/lake"),
            ],
            &[],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.headers.get("set-cookie").is_none());
    assert!(wrong.body.contains("id=\"login-error\""));
    let right = c
        .post(
            "/ui/login",
            &[
                ("access_key_id", "AKIDUI"),
                ("secret_access_key", "ui-secret"),
                ("next", "/ui/databases/lake"),
            ],
            &[("origin", "http://console.test")],
        )
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);
    assert_eq!(right.location(), "/ui/databases/lake");
    let set = right.headers["set-cookie"].to_str().unwrap().to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/ui", "Max-Age=3600"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(!set.contains("Secure"), "plain http: {set}");
    let cookie = set.split(';').next().unwrap().to_string();
    let page = c.get("/ui/databases/lake", Some(&cookie)).await.ok();
    assert!(page.body.contains("Signed in as <strong>AKIDUI</strong>"));
    assert!(page.body.contains("events"));
    assert!(!page.body.contains("ui-secret"));
    // The cookie is for the console only: the API still wants a signature.
    let api = c.get("/v1/databases", Some(&cookie)).await;
    assert!(api.status.is_client_error(), "{}", api.status);
    // Another site cannot post a form with it.
    let forged = c
        .post(
            "/ui/ddl",
            &[("sql", "DROP DATABASE lake CASCADE")],
            &[("cookie", &cookie), ("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(c
        .store
        .get_database(&DatabaseName::new("lake").unwrap())
        .is_ok());
    // A bearer token from the Iceberg front signs in too; it is no cookie itself.
    let token = c
        .post(
            "/iceberg/v1/oauth/tokens",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "AKIDUI"),
                ("client_secret", "ui-secret"),
            ],
            &[],
        )
        .await;
    let token: serde_json::Value = serde_json::from_str(&token.body).unwrap();
    let token = token["access_token"].as_str().unwrap();
    let as_cookie = c
        .get("/ui", Some(&format!("lakecat_session={token}")))
        .await;
    assert_eq!(as_cookie.status, StatusCode::SEE_OTHER);
    let with_token = c
        .post(
            "/ui/login",
            &[("token", token), ("next", "https://evil.example/")],
            &[("origin", "https://console.test")],
        )
        .await;
    assert_eq!(with_token.status, StatusCode::SEE_OTHER);
    assert_eq!(with_token.location(), "/ui", "never sent to another site");
    let set = with_token.headers["set-cookie"].to_str().unwrap();
    assert!(set.contains("; Secure"), "https: {set}");
    let cookie2 = set.split(';').next().unwrap();
    c.get("/ui/databases/lake", Some(cookie2)).await.ok();
    let out = c.post("/ui/logout", &[], &[("cookie", &cookie)]).await;
    assert!(out.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
}

#[tokio::test]
async fn grants_decide_what_a_signed_in_principal_sees() {
    let c = Console::with_auth("ROOT:root-secret,ANN:ann-secret", Some(vec!["ROOT".into()]));
    plain_table(&*c.store, "sales", "orders", 1);
    plain_table(&*c.store, "hr", "salaries", 1);
    let login = |id: &'static str, secret: &'static str| {
        let c = &c;
        async move {
            let r = c
                .post(
                    "/ui/login",
                    &[("access_key_id", id), ("secret_access_key", secret)],
                    &[],
                )
                .await;
            r.headers["set-cookie"]
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string()
        }
    };
    let root = login("ROOT", "root-secret").await;
    let grant = c
        .post(
            "/ui/ddl",
            &[("sql", "GRANT SELECT ON DATABASE sales TO USER ANN")],
            &[("cookie", &root)],
        )
        .await;
    assert_eq!(grant.status, StatusCode::OK, "{}", grant.body);
    let ann = login("ANN", "ann-secret").await;
    let index = c.get("/ui", Some(&ann)).await.ok();
    assert!(
        index.body.contains("sales") && !index.body.contains(">hr<"),
        "{}",
        index.body
    );
    c.get("/ui/databases/sales/tables/orders", Some(&ann))
        .await
        .ok();
    let hr = c.get("/ui/databases/hr/tables/salaries", Some(&ann)).await;
    assert_eq!(hr.status, StatusCode::FORBIDDEN, "{}", hr.body);
    let write = c
        .post(
            "/ui/ddl",
            &[("sql", "DROP TABLE sales.orders")],
            &[("cookie", &ann)],
        )
        .await;
    assert!(write.body.contains("id=\"ddl-error\""), "{}", write.body);
    assert!(
        write.body.contains("ANN"),
        "the refusal names who: {}",
        write.body
    );
    assert!(c
        .store
        .get_table(&TableIdent::parse("sales", "orders").unwrap())
        .is_ok());
}

/// The console in Debian's chromium (installed by scripts/test.sh), on the sample
/// catalog with a crawler of the sample lake; screenshots of each page are kept
/// in `target/tmp/console-screenshots`.
#[test]
fn console_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    // Enough files that the crawl is still running when its page first shows.
    let lake_dir = dir.path().join("lake");
    for day in 1..=20 {
        let folder = lake_dir.join(format!("events/dt=2024-01-{day:02}"));
        std::fs::create_dir_all(&folder).unwrap();
        for n in 0..150 {
            std::fs::write(
                folder.join(format!("part-{n:04}.json")),
                format!("{{\"id\": {n}, \"kind\": \"view\"}}\n"),
            )
            .unwrap();
        }
    }
    let lake = lake_dir.to_string_lossy().into_owned();
    let server = common::start(
        &dir.path().join("catalog"),
        &["--sample-data", "--allowed-locations", &lake],
    );
    let crawler = serde_json::json!({
        "name": "sample_lake",
        "database_name": "demo_console",
        "targets": {"s3_targets": [{"path": lake}]},
    });
    let resp = common::agent()
        .post(&format!("{}/v1/crawlers", server.base))
        .send_json(&crawler)
        .unwrap();
    assert!(resp.status().is_success(), "{:?}", resp.status());
    let locked = common::start(
        &dir.path().join("locked"),
        &[
            "--sample-data",
            "--auth",
            "sigv4",
            "--access-keys",
            "AKIDUI:ui-secret",
            "--allow-unauthenticated-thrift",
        ],
    );
    let shots = format!("{}/console-screenshots", env!("CARGO_TARGET_TMPDIR"));
    common::python_ok(
        "console/browser_session.py",
        &[&server.base, &shots, &locked.base],
    );
    server.sigterm();
    locked.sigterm();
}

/// An Iceberg table shows its metadata location and the snapshots its current
/// metadata file lists; a file outside the allowed folders is not read.
#[tokio::test]
async fn iceberg_tables_show_their_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::test_store(&dir.path().join("catalog"), 10);
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(lake.join("ice/metadata")).unwrap();
    let metadata = serde_json::json!({
        "format-version": 2, "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
        "location": format!("file://{}/ice", lake.display()),
        "current-schema-id": 0,
        "schemas": [{"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": false, "type": "long"}]}],
        "current-snapshot-id": 222,
        "snapshots": [
            {"snapshot-id": 111, "timestamp-ms": 1717200000000i64, "summary": {"operation": "append", "added-data-files": "3"}},
            {"snapshot-id": 222, "parent-snapshot-id": 111, "timestamp-ms": 1717286400000i64, "summary": {"operation": "overwrite", "<b>odd</b>": "<i>x</i>"}},
        ],
    });
    let file = lake.join("ice/metadata/00001-a.metadata.json");
    std::fs::write(&file, metadata.to_string()).unwrap();
    let db = DatabaseName::new("lake").unwrap();
    store.create_database(Database::new(db.clone())).unwrap();
    let entry = |name: &str, location: &str| {
        lakecat_catalog_api::iceberg::table_entry(
            TableName::new(name).unwrap(),
            location,
            &metadata,
        )
        .unwrap()
    };
    store
        .create_table(&db, entry("ice", &format!("file://{}", file.display())))
        .unwrap();
    store
        .create_table(&db, entry("elsewhere", "file:///etc/passwd"))
        .unwrap();
    let mut state = AppState::new(store.clone());
    state.folders = Arc::new(lakecat::services::folders::Folders::new(
        &dir.path().join("warehouse"),
        &[lake.to_string_lossy().into_owned()],
        None,
    ));
    let c = Console {
        router: lakecat::app::app(state, 1 << 20),
        store,
        _dir: dir,
    };
    let page = c.get("/ui/databases/lake/tables/ice", None).await.ok();
    assert_inert(&page);
    assert!(page.body.contains("00001-a.metadata.json"));
    assert_eq!(page.rows("snapshots"), 2, "{}", page.body);
    let newest = page
        .body
        .find("<td>222 <strong>(current)</strong></td>")
        .expect("current snapshot");
    assert!(
        newest < page.body.find("<td>111</td>").unwrap(),
        "newest first"
    );
    assert!(page.body.contains("overwrite") && page.body.contains("added-data-files 3"));
    assert!(page.body.contains("&lt;b&gt;odd&lt;/b&gt;"));
    let outside = c
        .get("/ui/databases/lake/tables/elsewhere", None)
        .await
        .ok();
    assert!(
        outside.body.contains("The metadata file cannot be read"),
        "{}",
        outside.body
    );
    assert!(
        !outside.body.contains("root:"),
        "nothing of the file is shown"
    );
}
