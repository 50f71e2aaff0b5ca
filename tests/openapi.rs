//! `openapi.yaml` must describe exactly the routes the server has, and each
//! documented schema exactly the fields its Rust type accepts.

use lakecat_catalog_api::model::*;
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;

fn doc() -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(lakecat::http::health::OPENAPI_YAML).expect("openapi.yaml parses")
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let doc = doc();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().unwrap() {
        for (method, _) in item.as_mapping().unwrap() {
            let m = method.as_str().unwrap();
            if ["get", "put", "post", "delete", "patch", "head"].contains(&m) {
                documented.insert((m.to_uppercase(), path.as_str().unwrap().to_string()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = lakecat::app::routes()
        .table()
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let missing: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in openapi.yaml: {undocumented:?}"
    );
    assert!(
        missing.is_empty(),
        "in openapi.yaml but not served: {missing:?}"
    );
}

/// The field names a struct accepts, read from serde's own "unknown field" message.
fn fields_of<T: DeserializeOwned>() -> BTreeSet<String> {
    let err = serde_json::from_str::<T>(r#"{"__probe__": 0}"#)
        .err()
        .expect("deny_unknown_fields");
    let msg = err.to_string();
    let list = msg
        .split("expected ")
        .nth(1)
        .unwrap_or_else(|| panic!("{msg}"));
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn documented_fields(schema: &str) -> BTreeSet<String> {
    let doc = doc();
    let props = doc["components"]["schemas"][schema]["properties"]
        .as_mapping()
        .unwrap_or_else(|| panic!("schema {schema} has no properties"));
    props
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_schema_matches_its_type() {
    use lakecat_catalog_api::crawlers;
    let checks: Vec<(&str, BTreeSet<String>)> = vec![
        ("Database", fields_of::<Database>()),
        ("Table", fields_of::<Table>()),
        ("StorageDescriptor", fields_of::<StorageDescriptor>()),
        ("Column", fields_of::<Column>()),
        ("SerDeInfo", fields_of::<SerDeInfo>()),
        ("Order", fields_of::<Order>()),
        ("SkewedInfo", fields_of::<SkewedInfo>()),
        ("Partition", fields_of::<Partition>()),
        ("TableVersion", fields_of::<TableVersion>()),
        ("DdlRequest", fields_of::<lakecat::rest::ddl::DdlRequest>()),
        ("Crawler", fields_of::<crawlers::Crawler>()),
        ("CrawlerTargets", fields_of::<crawlers::CrawlerTargets>()),
        ("S3Target", fields_of::<crawlers::S3Target>()),
        ("CrawlRun", fields_of::<crawlers::CrawlRun>()),
        ("CsvClassifier", fields_of::<crawlers::CsvClassifier>()),
        ("JsonClassifier", fields_of::<crawlers::JsonClassifier>()),
        ("GrokClassifier", fields_of::<crawlers::GrokClassifier>()),
        ("Classifier", fields_of::<crawlers::Classifier>()),
        (
            "PartitionIndex",
            fields_of::<lakecat_catalog_api::stats::PartitionIndex>(),
        ),
        (
            "ColumnStatistics",
            fields_of::<lakecat_catalog_api::stats::ColumnStatistics>(),
        ),
        (
            "PartitionBatch",
            BTreeSet::from(["partitions".to_string(), "if_not_exists".to_string()]),
        ),
    ];
    for (schema, fields) in checks {
        assert!(!fields.is_empty(), "{schema}: no fields probed");
        assert_eq!(
            documented_fields(schema),
            fields,
            "openapi.yaml schema {schema} drifted from the Rust type"
        );
    }
}

/// The Glue operations `POST /` serves are the ones its description lists.
#[test]
fn every_glue_operation_is_documented() {
    let arms = regex::Regex::new(r#"(?m)^\s*((?:"[A-Za-z]+"\s*\|\s*)*"[A-Za-z]+")\s*=>"#).unwrap();
    let name = regex::Regex::new(r#""([A-Za-z]+)""#).unwrap();
    let mut served = BTreeSet::new();
    // Each family file of the Glue front answers its operations in one `call`
    // (the crawler service's in `dispatch`).
    let dir = format!("{}/src/glue", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(&dir).unwrap() {
        let code = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let Some(start) = code
            .find("pub fn call(")
            .or_else(|| code.find("fn dispatch(c:"))
        else {
            continue;
        };
        let body = &code[start..start + code[start..].find("\n}\n").expect("its end")];
        for c in arms.captures_iter(body) {
            served.extend(
                name.captures_iter(c.get(1).unwrap().as_str())
                    .map(|n| n[1].to_string()),
            );
        }
    }
    assert!(served.len() > 30, "{served:?}");
    let d = doc();
    let text = d["paths"]["/"]["post"]["description"].as_str().unwrap();
    let listed: BTreeSet<String> = regex::Regex::new(r"\b[A-Z][A-Za-z]+\b")
        .unwrap()
        .find_iter(
            text.split("Served:")
                .nth(1)
                .and_then(|t| t.split("Errors are").next())
                .unwrap(),
        )
        .map(|m| m.as_str().to_string())
        .collect();
    let undocumented: Vec<_> = served.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not documented: {undocumented:?}"
    );
    assert!(missing.is_empty(), "documented but not served: {missing:?}");
}
