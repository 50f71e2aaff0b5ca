//! CREATE/DROP DATABASE, USE, SHOW DATABASES.

use super::results::StatementResult;
use super::session::*;
use lakecat_catalog_api::error::{Error, ErrorKind};
use lakecat_catalog_api::model::Database;
use lakecat_catalog_api::store::{all_databases, CatalogStore};
use lakecat_ddl::ast::*;

pub fn run(store: &dyn CatalogStore, s: &mut Session, st: &Statement) -> R<StatementResult> {
    match st {
        Statement::CreateDatabase {
            name,
            if_not_exists,
            comment,
            location,
            properties,
        } => {
            let n = db_name(name)?;
            if store.get_database(&n).is_ok() {
                if *if_not_exists {
                    return Ok(unchanged(st, format!("database {n} exists")));
                }
                return Err(Error::already_exists(format!(
                    "database {n} already exists"
                )));
            }
            let mut d = Database::new(n);
            d.description = comment.clone();
            d.location_uri = location.clone();
            d.parameters = properties.iter().cloned().collect();
            store.create_database(d)?;
            Ok(ok(st))
        }
        Statement::DropDatabase {
            name,
            if_exists,
            cascade,
        } => {
            let n = db_name(name)?;
            match store.delete_database(&n, *cascade) {
                Err(e) if e.kind == ErrorKind::NotFound && *if_exists => {
                    Ok(unchanged(st, format!("no database {n}")))
                }
                r => r.map(|_| ok(st)),
            }
        }
        Statement::Use { database } => {
            let n = db_name(database)?;
            store.get_database(&n)?;
            s.database = n.as_str().to_string();
            Ok(ok(st))
        }
        Statement::ShowDatabases { like } => {
            let re = like
                .as_deref()
                .map(lakecat_catalog_api::names::name_pattern)
                .transpose()?;
            let mut names: Vec<String> = all_databases(store)?
                .into_iter()
                .map(|d| d.name.as_str().to_string())
                .collect();
            names.retain(|n| re.as_ref().is_none_or(|r| r.is_match(n)));
            Ok(rows(
                st,
                &["database_name"],
                names.into_iter().map(|n| vec![n]).collect(),
            ))
        }
        _ => unreachable!("dispatched by statement kind"),
    }
}
