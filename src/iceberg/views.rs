//! Views: Iceberg views kept as Iceberg's Hive and Glue catalogs keep them, a
//! catalog view (`VIRTUAL_VIEW`) whose `table_type` parameter is `ICEBERG-VIEW`
//! and whose `metadata_location` names its current view metadata file.

use super::metadata::{add_schema, add_with_id, array, next_file, uuid, write};
use super::{blocking, entry, ident, namespace, IResult, IcebergError, Kind};
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use lakecat_catalog_api::model::{StorageDescriptor, Table, TableType};
use lakecat_catalog_api::store::{PageRequest, UpdateTableOptions};
use lakecat_catalog_api::{ErrorKind, TableIdent};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const NO_NAMESPACE: &str = "NoSuchNamespaceException";

fn view_of(s: &AppState, id: &TableIdent) -> IResult<Table> {
    entry(s, id, Kind::View)
}

pub async fn list(State(s): State<AppState>, Path(ns): Path<String>) -> IResult<Json<Value>> {
    let db = namespace(&ns)?;
    s.store
        .get_database(&db)
        .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))?;
    let mut ids = Vec::new();
    let mut page = PageRequest::first(1_000);
    loop {
        let r = s.store.list_tables(&db, None, &page)?;
        ids.extend(
            r.items
                .iter()
                .filter(|t| Kind::View.holds(t))
                .map(|t| json!({"namespace": [db.as_str()], "name": t.name.as_str()})),
        );
        match r.next_token {
            Some(t) => {
                page = PageRequest {
                    token: Some(t),
                    limit: 1_000,
                }
            }
            None => break,
        }
    }
    Ok(Json(json!({ "identifiers": ids })))
}

async fn read(folders: &crate::services::folders::Folders, location: &str) -> IResult<Value> {
    let v = super::tables::read_json(folders, location).await?;
    for field in [
        "view-uuid",
        "format-version",
        "current-version-id",
        "versions",
    ] {
        if v.get(field).is_none() {
            return Err(IcebergError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                format!("{location} has no {field}: not Iceberg view metadata"),
            ));
        }
    }
    Ok(v)
}

pub async fn load(
    State(s): State<AppState>,
    Path((ns, view)): Path<(String, String)>,
) -> IResult<Json<Value>> {
    let t = view_of(&s, &ident(&ns, &view)?)?;
    let location = t
        .parameters
        .get("metadata_location")
        .cloned()
        .unwrap_or_default();
    let metadata = read(&s.folders, &location).await?;
    Ok(Json(
        json!({"metadata-location": location, "metadata": metadata, "config": {}}),
    ))
}

/// The catalog's entry for a view: its SQL (the first representation) as the
/// view's text and its schema as columns, for Hive and Glue readers.
fn catalog_view(id: &TableIdent, location: &str, m: &Value) -> Table {
    let mut t = Table::new(id.name.clone());
    t.table_type = Some(TableType::VirtualView);
    t.parameters
        .insert("table_type".into(), "ICEBERG-VIEW".into());
    t.parameters
        .insert("metadata_location".into(), location.into());
    let current = &m["current-version-id"];
    let version = m["versions"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["version-id"] == *current));
    let sql = version
        .and_then(|v| v["representations"][0]["sql"].as_str())
        .map(str::to_string);
    t.view_original_text = sql.clone();
    t.view_expanded_text = sql;
    let schema_id = version.map(|v| v["schema-id"].clone()).unwrap_or(json!(0));
    let schema = m["schemas"]
        .as_array()
        .and_then(|ss| ss.iter().find(|s| s["schema-id"] == schema_id));
    t.storage_descriptor = Some(StorageDescriptor {
        columns: lakecat_catalog_api::iceberg::columns(schema),
        location: m["location"].as_str().map(str::to_string),
        ..Default::default()
    });
    t
}

fn apply(m: &mut Value, updates: &[Value]) -> IResult<()> {
    let mut last_schema: Option<i64> = None;
    let mut last_version: Option<i64> = None;
    for u in updates {
        match u["action"].as_str().unwrap_or_default() {
            "assign-uuid" => m["view-uuid"] = u["uuid"].clone(),
            "upgrade-format-version" => {
                if u["format-version"] != 1 {
                    return Err(IcebergError::bad("view format-version must be 1"));
                }
            }
            "add-schema" => last_schema = Some(add_schema(m, u["schema"].clone())),
            "set-location" => m["location"] = u["location"].clone(),
            "set-properties" => {
                let updates = u["updates"].as_object().cloned().unwrap_or_default();
                if let Some(p) = m["properties"].as_object_mut() {
                    p.extend(updates);
                }
            }
            "remove-properties" => {
                if let Some(p) = m["properties"].as_object_mut() {
                    for k in u["removals"].as_array().into_iter().flatten() {
                        if let Some(k) = k.as_str() {
                            p.remove(k);
                        }
                    }
                }
            }
            "add-view-version" => {
                let mut v = u["view-version"].clone();
                if v["schema-id"] == -1 {
                    v["schema-id"] = json!(last_schema.ok_or_else(|| IcebergError::bad(
                        "view version schema -1 without add-schema"
                    ))?);
                }
                // A new version always gets the next id, whatever it carries.
                v["version-id"] = Value::Null;
                last_version = Some(add_with_id(m, "versions", "version-id", v, 1));
            }
            "set-current-view-version" => {
                let id = match u["view-version-id"].as_i64() {
                    Some(-1) => last_version.ok_or_else(|| {
                        IcebergError::bad("set-current-view-version -1 without add-view-version")
                    })?,
                    Some(id) => id,
                    None => {
                        return Err(IcebergError::bad(
                            "set-current-view-version without view-version-id",
                        ))
                    }
                };
                if !m["versions"]
                    .as_array()
                    .is_some_and(|vs| vs.iter().any(|v| v["version-id"] == id))
                {
                    return Err(IcebergError::bad(format!("no view version {id}")));
                }
                m["current-version-id"] = json!(id);
                let ts = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0);
                array(m, "version-log").push(json!({"version-id": id, "timestamp-ms": ts}));
            }
            other => {
                return Err(IcebergError::bad(format!(
                    "unknown view update action {other:?}"
                )))
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateView {
    name: String,
    location: Option<String>,
    schema: Value,
    view_version: Value,
    #[serde(default)]
    properties: BTreeMap<String, String>,
}

pub async fn create(
    State(s): State<AppState>,
    Path(ns): Path<String>,
    Json(b): Json<CreateView>,
) -> IResult<Json<Value>> {
    let id = ident(&ns, &b.name)?;
    let location = match b.location {
        Some(l) => l.trim_end_matches('/').to_string(),
        None => super::tables::default_location(&s, &id)?,
    };
    let mut m = json!({
        "view-uuid": uuid(),
        "format-version": 1,
        "location": location,
        "schemas": [],
        "current-version-id": -1,
        "versions": [],
        "version-log": [],
        "properties": b.properties,
    });
    let mut version = b.view_version;
    version["schema-id"] = json!(-1);
    apply(
        &mut m,
        &[
            json!({"action": "add-schema", "schema": b.schema}),
            json!({"action": "add-view-version", "view-version": version}),
            json!({"action": "set-current-view-version", "view-version-id": -1}),
        ],
    )?;
    super::tables::may_write(&s, &id, true).await?;
    if s.store.get_table(&id).is_ok() {
        return Err(IcebergError::new(
            StatusCode::CONFLICT,
            "AlreadyExistsException",
            format!("a table or view named {id} already exists"),
        ));
    }
    let file = next_file(&location, None);
    write(&s.folders, &file, &m).await?;
    let view = catalog_view(&id, &file, &m);
    blocking(move || {
        s.store
            .create_table(&id.database, view)
            .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))
    })
    .await?;
    Ok(Json(
        json!({"metadata-location": file, "metadata": m, "config": {}}),
    ))
}

/// Replaces a view: `assert-view-uuid` checked, updates applied, a new file
/// written, `metadata_location` swapped under the view's version.
pub async fn replace(
    State(s): State<AppState>,
    Path((ns, view)): Path<(String, String)>,
    Json(b): Json<super::Commit>,
) -> IResult<Json<Value>> {
    let id = ident(&ns, &view)?;
    let t = view_of(&s, &id)?;
    super::tables::may_write(&s, &id, false).await?;
    let previous = t
        .parameters
        .get("metadata_location")
        .cloned()
        .unwrap_or_default();
    let mut m = read(&s.folders, &previous).await?;
    for r in &b.requirements {
        match r["type"].as_str() {
            Some("assert-view-uuid") if r["uuid"] == m["view-uuid"] => {}
            Some("assert-view-uuid") => {
                return Err(IcebergError::new(
                    StatusCode::CONFLICT,
                    "CommitFailedException",
                    format!("requirement failed: the view's uuid is {}", m["view-uuid"]),
                ))
            }
            other => {
                return Err(IcebergError::bad(format!(
                    "unknown view requirement {other:?}"
                )))
            }
        }
    }
    apply(&mut m, &b.updates)?;
    let location = m["location"].as_str().unwrap_or_default().to_string();
    let file = next_file(&location, Some(&previous));
    write(&s.folders, &file, &m).await?;
    let mut fresh = catalog_view(&id, &file, &m);
    fresh
        .parameters
        .insert("previous_metadata_location".into(), previous);
    let version = t.version_id;
    blocking(move || {
        s.store
            .update_table(
                &id,
                fresh,
                UpdateTableOptions {
                    expected_version: version,
                    ..Default::default()
                },
            )
            .map_err(|e| match e.kind {
                ErrorKind::Conflict => IcebergError::new(
                    StatusCode::CONFLICT,
                    "CommitFailedException",
                    format!("{id} changed while this commit was prepared; reload it and retry"),
                ),
                _ => IcebergError::from_catalog(e, Kind::View.not_found()),
            })
    })
    .await?;
    Ok(Json(
        json!({"metadata-location": file, "metadata": m, "config": {}}),
    ))
}

pub async fn drop(
    State(s): State<AppState>,
    Path((ns, view)): Path<(String, String)>,
) -> IResult<Response> {
    super::drop_entry(s, ident(&ns, &view)?, Kind::View).await
}

pub async fn rename(State(s): State<AppState>, Json(b): Json<super::Rename>) -> IResult<Response> {
    super::rename(s, b, Kind::View).await
}
