//! Table metadata: checking a commit's requirements, applying its updates, and
//! writing the new metadata file. Metadata is kept as JSON so that fields this
//! server does not know pass through unchanged.

use super::{IResult, IcebergError};
use axum::http::StatusCode;
use serde_json::{json, Map, Value};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A random (version 4) UUID.
pub fn uuid() -> String {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).expect("the system's random source");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn failed(message: String) -> IcebergError {
    IcebergError::new(StatusCode::CONFLICT, "CommitFailedException", message)
}

fn bad(message: String) -> IcebergError {
    IcebergError::bad(message)
}

/// Metadata for a table being created in a commit (`assert-create`): the
/// updates fill it in.
pub fn empty() -> Value {
    json!({
        "format-version": 2,
        "table-uuid": uuid(),
        "location": "",
        "last-sequence-number": 0,
        "last-updated-ms": now_ms(),
        "last-column-id": 0,
        "schemas": [],
        "current-schema-id": -1,
        "partition-specs": [],
        "default-spec-id": -1,
        "last-partition-id": 999,
        "properties": {},
        "snapshots": [],
        "snapshot-log": [],
        "metadata-log": [],
        "sort-orders": [],
        "default-sort-order-id": -1,
        "refs": {},
    })
}

/// Checks a commit's requirements against the current metadata (`None`: the
/// table does not exist yet).
pub fn check(current: Option<&Value>, requirements: &[Value]) -> IResult<()> {
    for r in requirements {
        let kind = r["type"].as_str().unwrap_or_default();
        if kind == "assert-create" {
            if current.is_some() {
                return Err(failed(
                    "requirement failed: the table already exists".into(),
                ));
            }
            continue;
        }
        let Some(m) = current else {
            return Err(IcebergError::new(
                StatusCode::NOT_FOUND,
                "NoSuchTableException",
                format!("requirement {kind} on a table that does not exist"),
            ));
        };
        let same = |field: &str, want: &Value| -> IResult<()> {
            if &m[field] == want {
                Ok(())
            } else {
                Err(failed(format!(
                    "requirement failed: {field} is {}, expected {want}",
                    m[field]
                )))
            }
        };
        match kind {
            "assert-table-uuid" => same("table-uuid", &r["uuid"])?,
            "assert-current-schema-id" => same("current-schema-id", &r["current-schema-id"])?,
            "assert-last-assigned-field-id" => {
                same("last-column-id", &r["last-assigned-field-id"])?
            }
            "assert-last-assigned-partition-id" => {
                same("last-partition-id", &r["last-assigned-partition-id"])?
            }
            "assert-default-spec-id" => same("default-spec-id", &r["default-spec-id"])?,
            "assert-default-sort-order-id" => {
                same("default-sort-order-id", &r["default-sort-order-id"])?
            }
            "assert-ref-snapshot-id" => {
                let name = r["ref"].as_str().unwrap_or_default();
                let have = m["refs"].get(name).map(|x| x["snapshot-id"].clone());
                let want = &r["snapshot-id"];
                let ok = match (have, want.is_null()) {
                    (None, true) => true,
                    (Some(h), false) => h == *want,
                    _ => false,
                };
                if !ok {
                    return Err(failed(format!(
                        "requirement failed: branch or tag {name} has changed (expected snapshot {want})"
                    )));
                }
            }
            other => return Err(bad(format!("unknown requirement type {other:?}"))),
        }
    }
    Ok(())
}

pub fn array<'a>(m: &'a mut Value, field: &str) -> &'a mut Vec<Value> {
    if !m[field].is_array() {
        m[field] = json!([]);
    }
    m[field].as_array_mut().expect("an array")
}

fn object<'a>(m: &'a mut Value, field: &str) -> &'a mut Map<String, Value> {
    if !m[field].is_object() {
        m[field] = json!({});
    }
    m[field].as_object_mut().expect("an object")
}

/// Appends `item` to the list `field` under the id it carries in `id_field`, or,
/// if that one is missing or taken, the next after the highest (`first` for an
/// empty list); the id.
pub fn add_with_id(m: &mut Value, field: &str, id_field: &str, mut item: Value, first: i64) -> i64 {
    let ids: Vec<i64> = m[field]
        .as_array()
        .map(|s| s.iter().filter_map(|x| x[id_field].as_i64()).collect())
        .unwrap_or_default();
    let id = match item[id_field].as_i64() {
        Some(id) if !ids.contains(&id) => id,
        _ => ids.iter().max().map_or(first, |x| x + 1),
    };
    item[id_field] = json!(id);
    array(m, field).push(item);
    id
}

/// Adds a schema (tables' and views' alike); its id.
pub fn add_schema(m: &mut Value, schema: Value) -> i64 {
    add_with_id(m, "schemas", "schema-id", schema, 0)
}

/// The highest field id in a schema, nested fields included.
fn max_field_id(t: &Value) -> i64 {
    let mut best = t["id"].as_i64().unwrap_or(0);
    for key in ["fields"] {
        if let Some(fs) = t[key].as_array() {
            for f in fs {
                best = best.max(f["id"].as_i64().unwrap_or(0));
                best = best.max(max_field_id(&f["type"]));
            }
        }
    }
    for (id, child) in [
        ("element-id", "element"),
        ("key-id", "key"),
        ("value-id", "value"),
    ] {
        best = best.max(t[id].as_i64().unwrap_or(0));
        if t.get(child).is_some() {
            best = best.max(max_field_id(&t[child]));
        }
    }
    best
}

/// Applies a commit's updates in order. `last_added` ids resolve the `-1` that
/// means "the one added in this commit".
pub fn apply(m: &mut Value, updates: &[Value]) -> IResult<()> {
    let (mut last_schema, mut last_spec, mut last_order) = (None, None, None);
    for u in updates {
        let action = u["action"].as_str().unwrap_or_default();
        match action {
            "assign-uuid" => m["table-uuid"] = u["uuid"].clone(),
            "upgrade-format-version" => {
                let v = u["format-version"].as_i64().unwrap_or(0);
                let have = m["format-version"].as_i64().unwrap_or(1);
                if !(1..=3).contains(&v) || v < have {
                    return Err(bad(format!("cannot change format-version {have} to {v}")));
                }
                m["format-version"] = json!(v);
            }
            "add-schema" => {
                let highest = u["last-column-id"]
                    .as_i64()
                    .unwrap_or(0)
                    .max(max_field_id(&json!({"fields": u["schema"]["fields"]})));
                let last = m["last-column-id"].as_i64().unwrap_or(0);
                m["last-column-id"] = json!(last.max(highest));
                last_schema = Some(add_schema(m, u["schema"].clone()));
            }
            "set-current-schema" => {
                let id = match u["schema-id"].as_i64() {
                    Some(-1) => last_schema
                        .ok_or_else(|| bad("set-current-schema -1 without add-schema".into()))?,
                    Some(id) => id,
                    None => return Err(bad("set-current-schema without schema-id".into())),
                };
                if !m["schemas"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|x| x["schema-id"] == id))
                {
                    return Err(bad(format!("no schema {id}")));
                }
                m["current-schema-id"] = json!(id);
            }
            "add-spec" | "add-partition-spec" => {
                let spec = u["spec"].clone();
                let highest = spec["fields"]
                    .as_array()
                    .map(|fs| {
                        fs.iter()
                            .filter_map(|f| f["field-id"].as_i64())
                            .max()
                            .unwrap_or(999)
                    })
                    .unwrap_or(999);
                let last = m["last-partition-id"].as_i64().unwrap_or(999);
                m["last-partition-id"] = json!(last.max(highest));
                last_spec = Some(add_with_id(m, "partition-specs", "spec-id", spec, 0));
            }
            "set-default-spec" => {
                let id = match u["spec-id"].as_i64() {
                    Some(-1) => last_spec
                        .ok_or_else(|| bad("set-default-spec -1 without add-spec".into()))?,
                    Some(id) => id,
                    None => return Err(bad("set-default-spec without spec-id".into())),
                };
                m["default-spec-id"] = json!(id);
            }
            "add-sort-order" => {
                // Order 0 is "unsorted" and keeps its id; new ones start at 1.
                let order = u["sort-order"].clone();
                last_order = Some(add_with_id(m, "sort-orders", "order-id", order, 1));
            }
            "set-default-sort-order" => {
                let id = match u["sort-order-id"].as_i64() {
                    Some(-1) => last_order.ok_or_else(|| {
                        bad("set-default-sort-order -1 without add-sort-order".into())
                    })?,
                    Some(id) => id,
                    None => return Err(bad("set-default-sort-order without sort-order-id".into())),
                };
                m["default-sort-order-id"] = json!(id);
            }
            "add-snapshot" => {
                let s = u["snapshot"].clone();
                let id = s["snapshot-id"].clone();
                if m["snapshots"]
                    .as_array()
                    .is_some_and(|ss| ss.iter().any(|x| x["snapshot-id"] == id))
                {
                    return Err(bad(format!("snapshot {id} exists already")));
                }
                if let Some(seq) = s["sequence-number"].as_i64() {
                    let last = m["last-sequence-number"].as_i64().unwrap_or(0);
                    if m["format-version"].as_i64().unwrap_or(1) >= 2
                        && seq <= last
                        && !m["snapshots"].as_array().is_none_or(|v| v.is_empty())
                    {
                        return Err(failed(format!(
                            "snapshot sequence number {seq} is not after the table's {last}"
                        )));
                    }
                    m["last-sequence-number"] = json!(last.max(seq));
                }
                if let Some(ts) = s["timestamp-ms"].as_i64() {
                    m["last-updated-ms"] = json!(ts);
                }
                array(m, "snapshots").push(s);
            }
            "set-snapshot-ref" => {
                let name = u["ref-name"].as_str().unwrap_or_default().to_string();
                let id = u["snapshot-id"].clone();
                if !m["snapshots"]
                    .as_array()
                    .is_some_and(|ss| ss.iter().any(|x| x["snapshot-id"] == id))
                {
                    return Err(bad(format!("set-snapshot-ref {name}: no snapshot {id}")));
                }
                let mut r = Map::new();
                for k in [
                    "snapshot-id",
                    "type",
                    "min-snapshots-to-keep",
                    "max-snapshot-age-ms",
                    "max-ref-age-ms",
                ] {
                    if !u[k].is_null() {
                        r.insert(k.into(), u[k].clone());
                    }
                }
                object(m, "refs").insert(name.clone(), Value::Object(r));
                if name == "main" {
                    m["current-snapshot-id"] = id.clone();
                    let ts = m["snapshots"]
                        .as_array()
                        .and_then(|ss| ss.iter().find(|x| x["snapshot-id"] == id))
                        .map(|s| s["timestamp-ms"].clone())
                        .unwrap_or(json!(now_ms()));
                    array(m, "snapshot-log").push(json!({"snapshot-id": id, "timestamp-ms": ts}));
                }
            }
            "remove-snapshot-ref" => {
                let name = u["ref-name"].as_str().unwrap_or_default();
                object(m, "refs").remove(name);
                if name == "main" {
                    m["current-snapshot-id"] = json!(-1);
                }
            }
            "remove-snapshots" => {
                // A set: a client may name many ids, and each is looked up per snapshot.
                let gone: std::collections::HashSet<i64> = u["snapshot-ids"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_i64)
                    .collect();
                let kept = |v: &Value| {
                    !v["snapshot-id"]
                        .as_i64()
                        .is_some_and(|id| gone.contains(&id))
                };
                array(m, "snapshots").retain(kept);
                array(m, "snapshot-log").retain(kept);
                object(m, "refs").retain(|_, r| kept(r));
            }
            "set-location" => m["location"] = u["location"].clone(),
            "set-properties" => {
                let updates = u["updates"].as_object().cloned().unwrap_or_default();
                object(m, "properties").extend(updates);
            }
            "remove-properties" => {
                let props = object(m, "properties");
                for k in u["removals"].as_array().into_iter().flatten() {
                    if let Some(k) = k.as_str() {
                        props.remove(k);
                    }
                }
            }
            "set-statistics" => {
                let stats = u["statistics"].clone();
                let id = stats["snapshot-id"].clone();
                let list = array(m, "statistics");
                list.retain(|s| s["snapshot-id"] != id);
                list.push(stats);
            }
            "remove-statistics" => {
                let id = u["snapshot-id"].clone();
                array(m, "statistics").retain(|s| s["snapshot-id"] != id);
            }
            "set-partition-statistics" => {
                let stats = u["partition-statistics"].clone();
                let id = stats["snapshot-id"].clone();
                let list = array(m, "partition-statistics");
                list.retain(|s| s["snapshot-id"] != id);
                list.push(stats);
            }
            "remove-partition-statistics" => {
                let id = u["snapshot-id"].clone();
                array(m, "partition-statistics").retain(|s| s["snapshot-id"] != id);
            }
            other => return Err(bad(format!("unknown update action {other:?}"))),
        }
    }
    if m["location"].as_str().unwrap_or_default().is_empty() {
        return Err(bad("the table has no location".into()));
    }
    m["last-updated-ms"] = json!(now_ms().max(m["last-updated-ms"].as_i64().unwrap_or(0)));
    Ok(())
}

/// The next metadata file's name: `NNNNN-<uuid>.metadata.json`, numbered after
/// the previous one.
pub fn next_file(location: &str, previous: Option<&str>) -> String {
    let n = previous
        .and_then(|p| p.rsplit('/').next())
        .and_then(|f| f.split('-').next())
        .and_then(|n| n.parse::<u64>().ok())
        .map_or(0, |n| n + 1);
    format!(
        "{}/metadata/{n:05}-{}.metadata.json",
        location.trim_end_matches('/'),
        uuid()
    )
}

/// Writes a new metadata file, never over an existing one. Local files go only
/// where the fronts may create folders (the warehouse, `--allowed-locations`).
pub async fn write(
    folders: &crate::services::folders::Folders,
    url: &str,
    metadata: &Value,
) -> IResult<()> {
    let bytes = serde_json::to_vec(metadata).expect("metadata serialises");
    let shown = url.to_string();
    let failed = move |e: String| {
        IcebergError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!("writing the metadata file {shown}: {e}"),
        )
    };
    if crate::services::folders::is_object(url) {
        folders.check_object(crate::services::folders::Effect::Create, url)?;
        let (dir, file) = url
            .rsplit_once('/')
            .ok_or_else(|| failed.clone()("no file name".into()))?;
        let src = lakecat_crawler::source::Source::open(dir, 4)
            .map_err(|e| failed.clone()(e.to_string()))?;
        let path = object_store::path::Path::from(format!("{}/{file}", src.prefix));
        let opts = object_store::PutOptions {
            mode: object_store::PutMode::Create,
            ..Default::default()
        };
        src.store
            .put_opts(&path, bytes.into(), opts)
            .await
            .map_err(|e| failed(e.to_string()))?;
        return Ok(());
    }
    let path = crate::services::folders::local_path(url).ok_or_else(|| {
        IcebergError::bad(format!("{url} is neither s3:// nor a local file: location"))
    })?;
    let dir = path
        .parent()
        .ok_or_else(|| failed("no folder".into()))?
        .to_path_buf();
    let folders = folders.clone();
    let url = url.to_string();
    super::blocking(move || {
        folders
            .create(&url, &dir)
            .map_err(|e| IcebergError::from_catalog(e, "NotFoundException"))?;
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| failed(e.to_string()))?;
        f.write_all(&bytes).map_err(|e| failed(e.to_string()))?;
        f.sync_all().map_err(|e| failed(e.to_string()))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_and_updates() {
        let mut m = empty();
        check(None, &[json!({"type": "assert-create"})]).unwrap();
        apply(
            &mut m,
            &[
                json!({"action": "set-location", "location": "file:///w/t"}),
                json!({"action": "add-schema", "schema": {"type": "struct", "schema-id": 0, "fields": [
                    {"id": 1, "name": "a", "required": false, "type": "long"},
                    {"id": 2, "name": "s", "required": false, "type": {"type": "struct", "fields": [
                        {"id": 3, "name": "x", "required": false, "type": "int"}]}}]}}),
                json!({"action": "set-current-schema", "schema-id": -1}),
                json!({"action": "add-spec", "spec": {"spec-id": 0, "fields": []}}),
                json!({"action": "set-default-spec", "spec-id": -1}),
                json!({"action": "set-properties", "updates": {"k": "v"}}),
            ],
        )
        .unwrap();
        assert_eq!(m["last-column-id"], 3);
        assert_eq!(m["current-schema-id"], 0);
        assert_eq!(m["default-spec-id"], 0);
        let current = Some(&m);
        assert!(check(current, &[json!({"type": "assert-create"})]).is_err());
        check(
            current,
            &[json!({"type": "assert-current-schema-id", "current-schema-id": 0})],
        )
        .unwrap();
        assert!(check(
            current,
            &[json!({"type": "assert-last-assigned-field-id", "last-assigned-field-id": 2})]
        )
        .is_err());
        check(
            current,
            &[json!({"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": null})],
        )
        .unwrap();
        let mut m2 = m.clone();
        apply(&mut m2, &[
            json!({"action": "add-snapshot", "snapshot": {"snapshot-id": 7, "sequence-number": 1, "timestamp-ms": 1}}),
            json!({"action": "set-snapshot-ref", "ref-name": "main", "type": "branch", "snapshot-id": 7}),
        ]).unwrap();
        assert_eq!(m2["current-snapshot-id"], 7);
        assert!(check(
            Some(&m2),
            &[json!({"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": null})]
        )
        .is_err());
        assert!(apply(&mut m2, &[json!({"action": "frobnicate"})]).is_err());
        let mut m3 = m2.clone();
        let many: Vec<i64> = (0..100_000).chain([7]).collect();
        apply(
            &mut m3,
            &[json!({"action": "remove-snapshots", "snapshot-ids": many})],
        )
        .unwrap();
        assert_eq!(m3["snapshots"], json!([]));
        assert_eq!(m3["refs"], json!({}));
        assert_eq!(
            next_file(
                "file:///w/t/",
                Some("file:///w/t/metadata/00004-x.metadata.json")
            )
            .split('/')
            .next_back()
            .unwrap()[..6],
            *"00005-"
        );
    }
}
