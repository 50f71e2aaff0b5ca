//! Tables: the catalog's Iceberg tables (`table_type=ICEBERG`, `metadata_location`).
//! Loading one reads its current metadata file where it lives (a local folder or
//! S3, as the crawler reads files).

use super::{blocking, entry, ident, namespace, IResult, IcebergError, Kind};
use crate::http::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::model::Table;
use lakecat_catalog_api::store::TableWrite;
use lakecat_catalog_api::store::{PageRequest, UpdateTableOptions};
use lakecat_catalog_api::TableIdent;
use serde::Deserialize;
use serde_json::{json, Value};

const NO_NAMESPACE: &str = "NoSuchNamespaceException";
/// Metadata files are small; a larger one is refused rather than read.
const MAX_METADATA_BYTES: u64 = 64 << 20;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    page_token: Option<String>,
    page_size: Option<usize>,
}

/// The namespace's Iceberg tables (other tables are not Iceberg's to see).
pub async fn list(
    State(s): State<AppState>,
    Path(ns): Path<String>,
    Query(p): Query<ListParams>,
) -> IResult<Json<Value>> {
    let db = namespace(&ns)?;
    s.store
        .get_database(&db)
        .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))?;
    let page = PageRequest {
        token: p.page_token.filter(|t| !t.is_empty()),
        limit: p.page_size.unwrap_or(1_000).clamp(1, 1_000),
    };
    let r = s.store.list_tables(&db, None, &page)?;
    let ids: Vec<Value> = r
        .items
        .iter()
        .filter(|t| Kind::Table.holds(t))
        .map(|t| json!({"namespace": [db.as_str()], "name": t.name.as_str()}))
        .collect();
    let mut body = json!({ "identifiers": ids });
    if let Some(t) = r.next_token {
        body["next-page-token"] = json!(t);
    }
    Ok(Json(body))
}

/// The Iceberg table `id`.
fn iceberg_table(s: &AppState, id: &TableIdent) -> IResult<Table> {
    entry(s, id, Kind::Table)
}

fn metadata_location(t: &Table) -> IResult<String> {
    t.parameters
        .get("metadata_location")
        .cloned()
        .ok_or_else(|| {
            IcebergError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                format!("Iceberg table {} has no metadata_location", t.name.as_str()),
            )
        })
}

/// Reads a JSON file where it lives, if it lies where the fronts may read (see
/// [`crate::services::folders::read_json`]); an unreadable file is the server's error.
pub async fn read_json(
    folders: &crate::services::folders::Folders,
    location: &str,
) -> IResult<Value> {
    crate::services::folders::read_json(folders, location, MAX_METADATA_BYTES)
        .await
        .map_err(|e| match e.kind {
            lakecat_catalog_api::ErrorKind::Storage => IcebergError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                e.message,
            ),
            _ => e.into(),
        })
}

/// Reads and checks a table metadata file.
async fn read_metadata(
    folders: &crate::services::folders::Folders,
    location: &str,
) -> IResult<Value> {
    let unreadable = |e: String| {
        IcebergError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!("reading the metadata file {location}: {e}"),
        )
    };
    let v = read_json(folders, location).await?;
    for field in ["format-version", "table-uuid", "location"] {
        if v.get(field).is_none() {
            return Err(unreadable(format!(
                "it has no {field}: not Iceberg table metadata"
            )));
        }
    }
    Ok(v)
}

#[derive(Deserialize)]
pub struct LoadParams {
    snapshots: Option<String>,
}

fn load_result(location: String, mut metadata: Value, refs_only: bool) -> Value {
    if refs_only {
        // Only the snapshots a branch or tag points at.
        let wanted: Vec<Value> = metadata["refs"]
            .as_object()
            .map(|r| r.values().map(|v| v["snapshot-id"].clone()).collect())
            .unwrap_or_default();
        if let Some(snaps) = metadata.get_mut("snapshots").and_then(Value::as_array_mut) {
            snaps.retain(|s| wanted.contains(&s["snapshot-id"]));
        }
    }
    json!({"metadata-location": location, "metadata": metadata, "config": {}})
}

pub async fn load(
    State(s): State<AppState>,
    Path((ns, table)): Path<(String, String)>,
    Query(p): Query<LoadParams>,
) -> IResult<Response> {
    let refs_only = match p.snapshots.as_deref() {
        None | Some("all") => false,
        Some("refs") => true,
        Some(other) => {
            return Err(IcebergError::bad(format!(
                "snapshots={other} is not all or refs"
            )))
        }
    };
    let id = ident(&ns, &table)?;
    let t = iceberg_table(&s, &id)?;
    let location = metadata_location(&t)?;
    let body = match super::cache::get(&location, refs_only) {
        Some(body) => body,
        None => {
            let metadata = read_metadata(&s.folders, &location).await?;
            let body = axum::body::Bytes::from(
                serde_json::to_vec(&load_result(location.clone(), metadata, refs_only))
                    .expect("a JSON value serialises"),
            );
            super::cache::put(&location, refs_only, body.clone());
            body
        }
    };
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DropParams {
    /// `true`/`false`, in any case (PyIceberg sends Python's `False`).
    purge_requested: Option<String>,
}

/// Drops the catalog's entry; with `purgeRequested=true` also every file under
/// the table's location (see [`crate::services::purge`]).
pub async fn drop(
    State(s): State<AppState>,
    Path((ns, table)): Path<(String, String)>,
    Query(p): Query<DropParams>,
) -> IResult<Response> {
    let purge = match p.purge_requested.as_deref().map(str::to_ascii_lowercase) {
        None => false,
        Some(v) if v == "false" => false,
        Some(v) if v == "true" => true,
        Some(v) => {
            return Err(IcebergError::bad(format!(
                "purgeRequested={v} is not true or false"
            )))
        }
    };
    let id = ident(&ns, &table)?;
    if !purge {
        return super::drop_entry(s, id, Kind::Table).await;
    }
    let t = {
        let (s, id) = (s.clone(), id.clone());
        blocking(move || iceberg_table(&s, &id)).await?
    };
    let metadata = read_metadata(&s.folders, &metadata_location(&t)?).await?;
    let location = metadata["location"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| IcebergError::bad("the table's metadata has no location to purge"))?;
    {
        let (s, id, location) = (s.clone(), id.clone(), location.clone());
        blocking(move || {
            crate::services::purge::check(&*s.store, &s.folders, &id, &location)
                .map_err(|e| IcebergError::from_catalog(e, "NoSuchTableException"))
        })
        .await?;
    }
    let folders = s.folders.clone();
    let answer = super::drop_entry(s, id.clone(), Kind::Table).await?;
    match crate::services::purge::delete(&folders, &location).await {
        Ok(n) => tracing::info!("purged table {id}: {n} files under {location} deleted"),
        Err(e) => tracing::warn!(
            "table {id} was dropped, but purging {location} failed: {}",
            e.message
        ),
    }
    Ok(answer)
}

pub async fn rename(State(s): State<AppState>, Json(b): Json<super::Rename>) -> IResult<Response> {
    super::rename(s, b, Kind::Table).await
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Register {
    name: String,
    metadata_location: String,
    #[serde(default)]
    overwrite: bool,
}

/// Registers an existing metadata file as a table, as Glue and PyIceberg's Hive
/// catalog keep one: an external table whose columns are the current schema's.
pub async fn register(
    State(s): State<AppState>,
    Path(ns): Path<String>,
    Json(b): Json<Register>,
) -> IResult<Json<Value>> {
    let id = ident(&ns, &b.name)?;
    let metadata = read_metadata(&s.folders, &b.metadata_location).await?;
    let table = catalog_table(&id, &b.metadata_location, &metadata)?;
    let (location, overwrite) = (b.metadata_location.clone(), b.overwrite);
    blocking(move || {
        s.store
            .get_database(&id.database)
            .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))?;
        match s.store.get_table(&id) {
            Ok(old) if overwrite => {
                if !Kind::Table.holds(&old) {
                    return Err(IcebergError::new(
                        StatusCode::CONFLICT,
                        "AlreadyExistsException",
                        format!("{id} exists and is not an Iceberg table"),
                    ));
                }
                s.store
                    .update_table(&id, table, UpdateTableOptions::default())
                    .map_err(|e| IcebergError::from_catalog(e, Kind::Table.not_found()))?;
            }
            Ok(_) => {
                return Err(IcebergError::new(
                    StatusCode::CONFLICT,
                    "AlreadyExistsException",
                    format!("table {id} already exists"),
                ))
            }
            Err(_) => {
                s.store
                    .create_table(&id.database, table)
                    .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))?;
            }
        }
        Ok(())
    })
    .await?;
    Ok(Json(load_result(location, metadata, false)))
}

fn catalog_table(id: &TableIdent, metadata_location: &str, m: &Value) -> IResult<Table> {
    lakecat_catalog_api::iceberg::table_entry(id.name.clone(), metadata_location, m)
        .map_err(IcebergError::bad)
}

/// Refuses before any file is written when permissions are on and the caller may
/// not change (or create) the table.
pub async fn may_write(s: &AppState, id: &TableIdent, create: bool) -> IResult<()> {
    use crate::services::permissions::{Privilege, Resource};
    let Some(auth) = s.permissions.clone() else {
        return Ok(());
    };
    let on = if create {
        Resource::Database(id.database.as_str().to_string())
    } else {
        Resource::Table(
            id.database.as_str().to_string(),
            id.name.as_str().to_string(),
        )
    };
    blocking(move || Ok(auth.check(Privilege::Write, &on)?)).await
}

/// Where a new table lives: its given location, else under its database's, else
/// under the warehouse as `<db>.db/<table>` (as Hive's clients place it).
pub fn default_location(s: &AppState, id: &TableIdent) -> IResult<String> {
    let db = s
        .store
        .get_database(&id.database)
        .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))?;
    Ok(match db.location_uri {
        Some(l) => format!("{}/{}", l.trim_end_matches('/'), id.name.as_str()),
        None => format!(
            "file://{}/{}.db/{}",
            s.folders.warehouse().display(),
            id.database.as_str(),
            id.name.as_str()
        ),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateTable {
    name: String,
    location: Option<String>,
    schema: Value,
    partition_spec: Option<Value>,
    write_order: Option<Value>,
    #[serde(default)]
    stage_create: bool,
    #[serde(default)]
    properties: std::collections::BTreeMap<String, String>,
}

/// Creates a table: its first metadata file, then its catalog entry. A staged
/// create writes nothing; the client's commit (with `assert-create`) does.
pub async fn create(
    State(s): State<AppState>,
    Path(ns): Path<String>,
    Json(b): Json<CreateTable>,
) -> IResult<Json<Value>> {
    let id = ident(&ns, &b.name)?;
    let location = match b.location.clone() {
        Some(l) => l,
        None => default_location(&s, &id)?,
    };
    let mut m = super::metadata::empty();
    let spec = b
        .partition_spec
        .clone()
        .unwrap_or_else(|| json!({"spec-id": 0, "fields": []}));
    let order = b
        .write_order
        .clone()
        .unwrap_or_else(|| json!({"order-id": 0, "fields": []}));
    super::metadata::apply(
        &mut m,
        &[
            json!({"action": "set-location", "location": location.trim_end_matches('/')}),
            json!({"action": "add-schema", "schema": b.schema}),
            json!({"action": "set-current-schema", "schema-id": -1}),
            json!({"action": "add-spec", "spec": spec}),
            json!({"action": "set-default-spec", "spec-id": -1}),
            json!({"action": "add-sort-order", "sort-order": order}),
            json!({"action": "set-default-sort-order", "sort-order-id": -1}),
            json!({"action": "set-properties", "updates": b.properties}),
        ],
    )?;
    if b.stage_create {
        return Ok(Json(json!({"metadata": m, "config": {}})));
    }
    may_write(&s, &id, true).await?;
    if s.store.get_table(&id).is_ok() {
        return Err(IcebergError::new(
            StatusCode::CONFLICT,
            "AlreadyExistsException",
            format!("table {id} already exists"),
        ));
    }
    let file = super::metadata::next_file(&location, None);
    super::metadata::write(&s.folders, &file, &m).await?;
    let table = catalog_table(&id, &file, &m)?;
    blocking(move || {
        s.store
            .create_table(&id.database, table)
            .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))
    })
    .await?;
    Ok(Json(load_result(file, m, false)))
}

/// Commits to a table: every requirement is checked against the current
/// metadata, every update applied, the new metadata file written, and the
/// catalog's `metadata_location` swapped only if the table is still at the
/// version read (else 409 `CommitFailedException`, nothing changed but an
/// unreferenced file).
pub async fn commit(
    State(s): State<AppState>,
    Path((ns, table)): Path<(String, String)>,
    Json(b): Json<super::Commit>,
) -> IResult<Json<Value>> {
    let id = ident(&ns, &table)?;
    let p = prepare(&s, id, b.requirements, b.updates).await?;
    let (file, next) = (p.file.clone(), p.next.clone());
    blocking(move || {
        let write = p.write();
        let id = p.id;
        s.store
            .write_tables(vec![write])
            .map_err(|e| conflict(e, &id.to_string()))?;
        Ok(())
    })
    .await?;
    Ok(Json(json!({"metadata-location": file, "metadata": next})))
}

/// A table's commit, checked and applied to its metadata, the new metadata file
/// written; what is left is the catalog write that makes it current.
pub struct Prepared {
    id: TableIdent,
    existing: Option<Table>,
    fresh: Table,
    previous: Option<String>,
    file: String,
    next: Value,
}

impl Prepared {
    /// The catalog write: the table's new `metadata_location`, if the table is
    /// still at the version the commit read (or still absent, for a create).
    fn write(&self) -> (lakecat_catalog_api::DatabaseName, TableWrite) {
        let table = match &self.existing {
            Some(t) => {
                let mut t = t.clone();
                t.parameters
                    .insert("metadata_location".into(), self.file.clone());
                if let Some(p) = &self.previous {
                    t.parameters
                        .insert("previous_metadata_location".into(), p.clone());
                }
                t.storage_descriptor = self.fresh.storage_descriptor.clone();
                t
            }
            None => self.fresh.clone(),
        };
        (
            self.id.database.clone(),
            TableWrite {
                expected_version: self.existing.as_ref().and_then(|t| t.version_id),
                table,
                put_partitions: vec![],
                delete_partitions: vec![],
            },
        )
    }
}

/// A lost race is the client's to retry: Iceberg's CommitFailedException (409).
fn conflict(e: lakecat_catalog_api::Error, what: &str) -> IcebergError {
    match e.kind {
        lakecat_catalog_api::ErrorKind::Conflict
        | lakecat_catalog_api::ErrorKind::AlreadyExists => IcebergError::new(
            StatusCode::CONFLICT,
            "CommitFailedException",
            format!(
                "{what} changed while this commit was prepared; reload and retry ({})",
                e.message
            ),
        ),
        _ => IcebergError::from_catalog(e, Kind::Table.not_found()),
    }
}

/// Checks a commit's requirements against the table's current metadata, applies
/// its updates and writes the next metadata file.
pub async fn prepare(
    s: &AppState,
    id: TableIdent,
    requirements: Vec<Value>,
    updates: Vec<Value>,
) -> IResult<Prepared> {
    s.store
        .get_database(&id.database)
        .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))?;
    let existing = match s.store.get_table(&id) {
        Ok(t) => Some(Kind::Table.check(&id, t)?),
        Err(e) if e.kind == lakecat_catalog_api::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let creating = requirements.iter().any(|r| r["type"] == "assert-create");
    if existing.is_none() && !creating {
        return Err(IcebergError::new(
            StatusCode::NOT_FOUND,
            Kind::Table.not_found(),
            format!("table {id} does not exist"),
        ));
    }
    may_write(s, &id, existing.is_none()).await?;
    let (previous, current) = match &existing {
        Some(t) => {
            let loc = metadata_location(t)?;
            let m = read_metadata(&s.folders, &loc).await?;
            (Some(loc), Some(m))
        }
        None => (None, None),
    };
    // Metadata can be large and a commit long: the work runs off the async workers.
    let (current, mut next) = blocking(move || {
        super::metadata::check(current.as_ref(), &requirements)?;
        let mut next = current.clone().unwrap_or_else(super::metadata::empty);
        super::metadata::apply(&mut next, &updates)?;
        Ok((current, next))
    })
    .await?;
    if let (Some(prev), Some(cur)) = (&previous, &current) {
        let entry = json!({"metadata-file": prev, "timestamp-ms": cur["last-updated-ms"]});
        match next["metadata-log"].as_array_mut() {
            Some(log) => log.push(entry),
            None => next["metadata-log"] = json!([entry]),
        }
    }
    let location = next["location"].as_str().unwrap_or_default().to_string();
    let file = super::metadata::next_file(&location, previous.as_deref());
    super::metadata::write(&s.folders, &file, &next).await?;
    let fresh = catalog_table(&id, &file, &next)?;
    Ok(Prepared {
        id,
        existing,
        fresh,
        previous,
        file,
        next,
    })
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Transaction {
    table_changes: Vec<TableChange>,
}

#[derive(serde::Deserialize)]
pub struct TableChange {
    identifier: super::EntryRef,
    #[serde(default)]
    requirements: Vec<Value>,
    #[serde(default)]
    updates: Vec<Value>,
}

/// `POST /v1/transactions/commit`: every table's commit is prepared (requirements
/// checked, metadata written), then all become current in one catalog write, or
/// none does: a failed requirement or a table changed meanwhile fails them all.
pub async fn commit_transaction(
    State(s): State<AppState>,
    Json(b): Json<Transaction>,
) -> IResult<axum::http::StatusCode> {
    if b.table_changes.is_empty() {
        return Err(IcebergError::bad(
            "a transaction needs at least one table change",
        ));
    }
    let mut prepared = Vec::with_capacity(b.table_changes.len());
    for c in b.table_changes {
        let id = TableIdent {
            database: super::namespace_of(&c.identifier.namespace)?,
            name: lakecat_catalog_api::TableName::new(&c.identifier.name)
                .map_err(|e| IcebergError::bad(e.message))?,
        };
        if prepared.iter().any(|p: &Prepared| p.id == id) {
            return Err(IcebergError::bad(format!(
                "table {id} appears twice in one transaction"
            )));
        }
        prepared.push(prepare(&s, id, c.requirements, c.updates).await?);
    }
    blocking(move || {
        let writes = prepared.iter().map(Prepared::write).collect();
        let names: Vec<String> = prepared.iter().map(|p| p.id.to_string()).collect();
        s.store
            .write_tables(writes)
            .map_err(|e| conflict(e, &format!("one of {}", names.join(", "))))?;
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A client's scan or commit report: counted and logged (lakecat keeps no
/// metrics store), so clients that send them are not refused.
pub async fn report_metrics(
    State(s): State<AppState>,
    Path((ns, table)): Path<(String, String)>,
    Json(report): Json<Value>,
) -> IResult<Response> {
    let id = ident(&ns, &table)?;
    iceberg_table(&s, &id)?;
    let kind = if report.get("commit-metrics").is_some() || report["report-type"] == "commit-report"
    {
        "commit"
    } else {
        "scan"
    };
    metrics::counter!("lakecat_iceberg_metrics_reports_total", "kind" => kind).increment(1);
    tracing::debug!(table = %id, kind, "Iceberg metrics report");
    Ok(StatusCode::NO_CONTENT.into_response())
}
