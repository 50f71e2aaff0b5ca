//! Namespaces: the catalog's databases. Their `comment` and `location`
//! properties are the database's description and location; the rest are its
//! parameters.

use super::{blocking, namespace, namespace_of, IResult, IcebergError};
use crate::http::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::model::Database;
use lakecat_catalog_api::store::PageRequest;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const NO_NAMESPACE: &str = "NoSuchNamespaceException";

fn properties(d: &Database) -> BTreeMap<String, String> {
    let mut p = d.parameters.clone();
    if let Some(c) = &d.description {
        p.insert("comment".into(), c.clone());
    }
    if let Some(l) = &d.location_uri {
        p.insert("location".into(), l.clone());
    }
    p
}

fn set_property(d: &mut Database, k: &str, v: Option<String>) {
    match k {
        "comment" => d.description = v,
        "location" => d.location_uri = v,
        _ => match v {
            Some(v) => {
                d.parameters.insert(k.to_string(), v);
            }
            None => {
                d.parameters.remove(k);
            }
        },
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    parent: Option<String>,
    page_token: Option<String>,
    page_size: Option<usize>,
}

pub async fn list(State(s): State<AppState>, Query(p): Query<ListParams>) -> IResult<Json<Value>> {
    if p.parent.as_deref().is_some_and(|x| !x.is_empty()) {
        // One level: nothing is below a namespace; an unknown parent is an error.
        let parent = namespace(p.parent.as_deref().unwrap_or_default())?;
        s.store
            .get_database(&parent)
            .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))?;
        return Ok(Json(json!({"namespaces": []})));
    }
    let page = PageRequest {
        token: p.page_token.filter(|t| !t.is_empty()),
        limit: p.page_size.unwrap_or(1_000).clamp(1, 1_000),
    };
    let r = s.store.list_databases(&page)?;
    let mut body = json!({
        "namespaces": r.items.iter().map(|d| vec![d.name.as_str()]).collect::<Vec<_>>(),
    });
    if let Some(t) = r.next_token {
        body["next-page-token"] = json!(t);
    }
    Ok(Json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateNamespace {
    namespace: Vec<String>,
    #[serde(default)]
    properties: BTreeMap<String, String>,
}

pub async fn create(
    State(s): State<AppState>,
    Json(b): Json<CreateNamespace>,
) -> IResult<Json<Value>> {
    let name = namespace_of(&b.namespace)?;
    let mut d = Database::new(name);
    for (k, v) in b.properties {
        set_property(&mut d, &k, Some(v));
    }
    let created = blocking(move || {
        s.store
            .create_database(d)
            .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))
    })
    .await?;
    Ok(Json(json!({
        "namespace": [created.name.as_str()],
        "properties": properties(&created),
    })))
}

pub async fn load(State(s): State<AppState>, Path(ns): Path<String>) -> IResult<Json<Value>> {
    let d = s
        .store
        .get_database(&namespace(&ns)?)
        .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))?;
    Ok(Json(json!({
        "namespace": [d.name.as_str()],
        "properties": properties(&d),
    })))
}

pub async fn drop(State(s): State<AppState>, Path(ns): Path<String>) -> IResult<Response> {
    let name = namespace(&ns)?;
    blocking(move || {
        s.store
            .get_database(&name)
            .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))?;
        let tables = s.store.list_tables(&name, None, &PageRequest::first(1))?;
        if !tables.items.is_empty() {
            return Err(IcebergError::new(
                StatusCode::CONFLICT,
                "NamespaceNotEmptyException",
                format!("namespace {} still holds tables", name.as_str()),
            ));
        }
        s.store
            .delete_database(&name, false)
            .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertyChanges {
    #[serde(default)]
    removals: Vec<String>,
    #[serde(default)]
    updates: BTreeMap<String, String>,
}

pub async fn update_properties(
    State(s): State<AppState>,
    Path(ns): Path<String>,
    Json(b): Json<PropertyChanges>,
) -> IResult<Json<Value>> {
    let name = namespace(&ns)?;
    if let Some(k) = b.removals.iter().find(|k| b.updates.contains_key(*k)) {
        return Err(IcebergError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UnprocessableEntityException",
            format!("property {k:?} is both removed and updated"),
        ));
    }
    blocking(move || {
        let mut d = s
            .store
            .get_database(&name)
            .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))?;
        let before = properties(&d);
        let (mut removed, mut missing) = (Vec::new(), Vec::new());
        for k in &b.removals {
            if before.contains_key(k) {
                set_property(&mut d, k, None);
                removed.push(k.clone());
            } else {
                missing.push(k.clone());
            }
        }
        let updated: Vec<String> = b.updates.keys().cloned().collect();
        for (k, v) in b.updates {
            set_property(&mut d, &k, Some(v));
        }
        s.store
            .update_database(&name, d)
            .map_err(|e| IcebergError::from_catalog(e, NO_NAMESPACE))?;
        Ok(Json(
            json!({"updated": updated, "removed": removed, "missing": missing}),
        ))
    })
    .await
}
