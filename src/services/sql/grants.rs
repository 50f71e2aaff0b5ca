//! `GRANT`, `REVOKE` and `SHOW GRANT` (see [`crate::services::permissions`]).

use super::results::StatementResult;
use super::session::*;
use crate::services::permissions::{Privilege, Resource};
use lakecat_catalog_api::error::Error;
use lakecat_ddl::ast::*;

pub fn run(s: &mut Session, st: &Statement) -> R<StatementResult> {
    let auth = s.grants.clone().ok_or_else(|| {
        Error::invalid("permissions are off: start the server with --authorization grants")
    })?;
    match st {
        Statement::Grant {
            grant,
            privileges,
            object,
            principal,
        } => {
            let resource = resource(s, object)?;
            let mut privs = Vec::new();
            for p in privileges {
                if p == "all" {
                    privs.extend([Privilege::Read, Privilege::Write, Privilege::Drop]);
                } else {
                    privs.push(Privilege::parse(p)?);
                }
            }
            auth.change(principal, &resource, &privs, *grant)?;
            Ok(ok(st))
        }
        Statement::ShowGrant { principal, object } => {
            let on = object.as_ref().map(|o| resource(s, o)).transpose()?;
            let grants = auth.list(principal.as_deref())?;
            let rows = grants
                .into_iter()
                .filter(|g| on.as_ref().is_none_or(|r| r.to_string() == g.resource))
                .map(|g| {
                    let privs: Vec<&str> = g.privileges.iter().map(|p| p.as_str()).collect();
                    vec![g.principal, g.resource, privs.join(",")]
                })
                .collect();
            Ok(rows_of(st, rows))
        }
        _ => unreachable!("not a grant statement"),
    }
}

fn rows_of(st: &Statement, rows: Vec<Vec<String>>) -> StatementResult {
    super::session::rows(st, &["principal", "resource", "privileges"], rows)
}

fn resource(s: &Session, o: &GrantObject) -> R<Resource> {
    Ok(match o {
        GrantObject::Catalog => Resource::Catalog,
        GrantObject::Database(d) => Resource::Database(db_name(d)?.as_str().to_string()),
        GrantObject::Table(q) => {
            let id = ident(s, q)?;
            Resource::Table(
                id.database.as_str().to_string(),
                id.name.as_str().to_string(),
            )
        }
    })
}
