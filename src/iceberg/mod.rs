//! The Apache Iceberg REST catalog protocol, under `/iceberg` on the HTTP port
//! (a client's catalog URI is `http://HOST:9700/iceberg`), over the same
//! catalog as every other front: a namespace is a database, an Iceberg table is
//! a table whose `table_type` parameter is `ICEBERG` and whose
//! `metadata_location` names its current metadata file, as PyIceberg's Hive and
//! Glue catalogs and Glue itself keep them.
//!
//! Served: config, namespaces (list, create, load, exists, drop, properties),
//! tables (list, create and staged create, load, exists, register, commit, drop
//! without purge, rename, metrics reports), views (list, create, load, exists,
//! replace, drop, rename). Multi-table transactions commit through `CatalogStore::write_tables`. Purge deletes
//! everything under the table's location ([`crate::services::purge`]).
//!
//! One file per resource family; this one holds the error shape and names.

mod cache;
pub mod config;
pub mod metadata;
pub mod namespaces;
pub mod oauth;
pub mod tables;
pub mod views;

use crate::http::Routes;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::{DatabaseName, Error, ErrorKind};
use serde_json::json;

pub fn routes(r: Routes) -> Routes {
    r.add(Method::GET, "/iceberg/v1/config", config::get_config)
        .add(Method::POST, "/iceberg/v1/oauth/tokens", oauth::token)
        .add(Method::GET, "/iceberg/v1/namespaces", namespaces::list)
        .add(Method::POST, "/iceberg/v1/namespaces", namespaces::create)
        .add(Method::GET, "/iceberg/v1/namespaces/{ns}", namespaces::load)
        .add(
            Method::DELETE,
            "/iceberg/v1/namespaces/{ns}",
            namespaces::drop,
        )
        .add(
            Method::POST,
            "/iceberg/v1/namespaces/{ns}/properties",
            namespaces::update_properties,
        )
        .add(
            Method::GET,
            "/iceberg/v1/namespaces/{ns}/tables",
            tables::list,
        )
        .add(
            Method::POST,
            "/iceberg/v1/namespaces/{ns}/tables",
            tables::create,
        )
        .add(
            Method::GET,
            "/iceberg/v1/namespaces/{ns}/tables/{table}",
            tables::load,
        )
        .add(
            Method::POST,
            "/iceberg/v1/namespaces/{ns}/tables/{table}",
            tables::commit,
        )
        .add(
            Method::DELETE,
            "/iceberg/v1/namespaces/{ns}/tables/{table}",
            tables::drop,
        )
        .add(
            Method::POST,
            "/iceberg/v1/namespaces/{ns}/register",
            tables::register,
        )
        .add(Method::POST, "/iceberg/v1/tables/rename", tables::rename)
        .add(
            Method::POST,
            "/iceberg/v1/transactions/commit",
            tables::commit_transaction,
        )
        .add(
            Method::POST,
            "/iceberg/v1/namespaces/{ns}/tables/{table}/metrics",
            tables::report_metrics,
        )
        .add(
            Method::GET,
            "/iceberg/v1/namespaces/{ns}/views",
            views::list,
        )
        .add(
            Method::POST,
            "/iceberg/v1/namespaces/{ns}/views",
            views::create,
        )
        .add(
            Method::GET,
            "/iceberg/v1/namespaces/{ns}/views/{view}",
            views::load,
        )
        .add(
            Method::POST,
            "/iceberg/v1/namespaces/{ns}/views/{view}",
            views::replace,
        )
        .add(
            Method::DELETE,
            "/iceberg/v1/namespaces/{ns}/views/{view}",
            views::drop,
        )
        .add(Method::POST, "/iceberg/v1/views/rename", views::rename)
}

/// An error in the protocol's shape: `{"error": {"message", "type", "code"}}`,
/// with the exception names Iceberg's clients map to their own.
#[derive(Debug)]
pub struct IcebergError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

pub type IResult<T> = Result<T, IcebergError>;

impl IcebergError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        IcebergError {
            status,
            kind,
            message: message.into(),
        }
    }

    /// A catalog error, with `not_found` naming what was looked for.
    pub fn from_catalog(e: Error, not_found: &'static str) -> Self {
        let (status, kind) = match e.kind {
            ErrorKind::NotFound | ErrorKind::Gone => (StatusCode::NOT_FOUND, not_found),
            ErrorKind::AlreadyExists => (StatusCode::CONFLICT, "AlreadyExistsException"),
            ErrorKind::Conflict => (StatusCode::CONFLICT, "CommitFailedException"),
            ErrorKind::InvalidInput | ErrorKind::LimitExceeded | ErrorKind::TooLarge => {
                (StatusCode::BAD_REQUEST, "BadRequestException")
            }
            ErrorKind::AccessDenied => (StatusCode::FORBIDDEN, "ForbiddenException"),
            ErrorKind::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableException",
            ),
            ErrorKind::Storage => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        };
        IcebergError::new(status, kind, e.message)
    }

    pub fn bad(message: impl Into<String>) -> Self {
        IcebergError::new(StatusCode::BAD_REQUEST, "BadRequestException", message)
    }
}

impl From<Error> for IcebergError {
    fn from(e: Error) -> Self {
        IcebergError::from_catalog(e, "NotFoundException")
    }
}

impl IntoResponse for IcebergError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": {
                "message": self.message,
                "type": self.kind,
                "code": self.status.as_u16(),
            }})),
        )
            .into_response()
    }
}

/// A namespace path parameter: levels are separated by 0x1F; lakecat's
/// namespaces are databases, one level deep.
pub fn namespace(ns: &str) -> IResult<DatabaseName> {
    if ns.contains('\u{1f}') {
        return Err(IcebergError::bad(format!(
            "namespace {:?} has more than one level; lakecat's namespaces are databases, one level deep",
            ns.replace('\u{1f}', ".")
        )));
    }
    DatabaseName::new(ns).map_err(|e| IcebergError::bad(e.message))
}

/// A namespace in a body (`["sales"]`).
pub fn namespace_of(levels: &[String]) -> IResult<DatabaseName> {
    match levels {
        [one] => namespace(one),
        _ => Err(IcebergError::bad(format!(
            "namespace {levels:?} must have exactly one level (a database)"
        ))),
    }
}

/// What a catalog entry is to this front: an Iceberg table or an Iceberg view,
/// told apart (from Hive-style tables too) by the `table_type` parameter that
/// Iceberg's Hive and Glue catalogs write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Table,
    View,
}

impl Kind {
    fn marker(self) -> &'static str {
        match self {
            Kind::Table => "ICEBERG",
            Kind::View => "ICEBERG-VIEW",
        }
    }

    /// The protocol's exception for one that is missing.
    pub fn not_found(self) -> &'static str {
        match self {
            Kind::Table => "NoSuchTableException",
            Kind::View => "NoSuchViewException",
        }
    }

    pub fn holds(self, t: &lakecat_catalog_api::model::Table) -> bool {
        t.parameters
            .get("table_type")
            .is_some_and(|v| v.eq_ignore_ascii_case(self.marker()))
    }

    /// `t`, if it is of this kind; else the protocol's not-found error.
    pub fn check(
        self,
        id: &lakecat_catalog_api::TableIdent,
        t: lakecat_catalog_api::model::Table,
    ) -> IResult<lakecat_catalog_api::model::Table> {
        if self.holds(&t) {
            return Ok(t);
        }
        Err(IcebergError::new(
            StatusCode::NOT_FOUND,
            self.not_found(),
            format!(
                "{id} is not an Iceberg {} (its table_type parameter is not {})",
                match self {
                    Kind::Table => "table",
                    Kind::View => "view",
                },
                self.marker()
            ),
        ))
    }
}

/// A table or view named by path parameters.
pub fn ident(ns: &str, name: &str) -> IResult<lakecat_catalog_api::TableIdent> {
    Ok(lakecat_catalog_api::TableIdent {
        database: namespace(ns)?,
        name: lakecat_catalog_api::TableName::new(name)
            .map_err(|e| IcebergError::bad(e.message))?,
    })
}

/// The table or view `id` of `kind`; NoSuchNamespace when its database is
/// missing, the kind's not-found otherwise.
pub fn entry(
    s: &crate::http::AppState,
    id: &lakecat_catalog_api::TableIdent,
    kind: Kind,
) -> IResult<lakecat_catalog_api::model::Table> {
    s.store
        .get_database(&id.database)
        .map_err(|e| IcebergError::from_catalog(e, "NoSuchNamespaceException"))?;
    let t = s
        .store
        .get_table(id)
        .map_err(|e| IcebergError::from_catalog(e, kind.not_found()))?;
    kind.check(id, t)
}

/// Drops a table's or view's catalog entry (its files stay).
pub async fn drop_entry(
    s: crate::http::AppState,
    id: lakecat_catalog_api::TableIdent,
    kind: Kind,
) -> IResult<axum::response::Response> {
    blocking(move || {
        entry(&s, &id, kind)?;
        s.store
            .delete_table(&id)
            .map_err(|e| IcebergError::from_catalog(e, kind.not_found()))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Runs catalog work on the blocking pool for the request's principal.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> IResult<T> + Send + 'static,
) -> IResult<T> {
    crate::services::permissions::spawn_blocking(f)
        .await
        .map_err(|e| {
            IcebergError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                e.to_string(),
            )
        })?
}

#[derive(serde::Deserialize)]
pub struct EntryRef {
    pub namespace: Vec<String>,
    pub name: String,
}

/// `{"source": {namespace, name}, "destination": …}`, for tables and views.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    source: EntryRef,
    destination: EntryRef,
}

/// Renames a table or a view of `kind`; it may move to another namespace.
pub async fn rename(
    s: crate::http::AppState,
    b: Rename,
    kind: Kind,
) -> IResult<axum::response::Response> {
    use lakecat_catalog_api::{TableIdent, TableName};
    let name = |n: &str| TableName::new(n).map_err(|e| IcebergError::bad(e.message));
    let from = TableIdent {
        database: namespace_of(&b.source.namespace)?,
        name: name(&b.source.name)?,
    };
    let to_db = namespace_of(&b.destination.namespace)?;
    let to_name = name(&b.destination.name)?;
    blocking(move || {
        let mut t = entry(&s, &from, kind)?;
        s.store
            .get_database(&to_db)
            .map_err(|e| IcebergError::from_catalog(e, "NoSuchNamespaceException"))?;
        t.name = to_name;
        t.database_name = Some(to_db);
        t.version_id = None;
        s.store
            .update_table(
                &from,
                t,
                lakecat_catalog_api::store::UpdateTableOptions {
                    rename: true,
                    ..Default::default()
                },
            )
            .map_err(|e| IcebergError::from_catalog(e, kind.not_found()))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A commit to a table or a view: requirements, then updates.
#[derive(serde::Deserialize)]
pub struct Commit {
    #[allow(dead_code)] // the path names the table or view; clients repeat it here
    identifier: Option<serde_json::Value>,
    #[serde(default)]
    pub requirements: Vec<serde_json::Value>,
    #[serde(default)]
    pub updates: Vec<serde_json::Value>,
}
