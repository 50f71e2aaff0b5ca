//! Databases: create, get, alter, drop, list.

use super::context::*;
use super::convert::*;
use super::thrift::{TStruct, TValue};
use crate::services::folders::local_path as file_dir;
use lakecat_catalog_api::store::all_databases;
use lakecat_catalog_api::Error;

/// Answers the calls of this family; `None` for the others.
pub fn call(ctx: &Ctx, name: &str, a: &TStruct) -> Option<Answer> {
    use Ex::*;
    Some(match name {
        "create_database" => run(
            name,
            &[(1, AlreadyExists), (2, InvalidObject), (3, Meta)],
            || {
                let d = database_of(
                    a.strct(1)
                        .ok_or_else(|| Error::invalid("argument database is missing"))?,
                )?;
                if let Some(loc) = d.location_uri.as_deref() {
                    if let Some(dir) = file_dir(loc) {
                        ctx.folders.create(loc, &dir)?;
                    }
                }
                ctx.store.create_database(d)?;
                Ok(void())
            },
        ),
        "get_database" => run(name, &[(1, NoSuchObject), (2, Meta)], || {
            let d = ctx.store.get_database(&db(a, 1)?)?;
            Ok(ok(TValue::Struct(database(&d))))
        }),
        "get_database_req" => run(name, &[(1, NoSuchObject), (2, Meta)], || {
            let r = req(a)?;
            check_catalog(&r.str(2).unwrap_or_default())?;
            let d = ctx.store.get_database(&db(r, 1)?)?;
            Ok(ok(TValue::Struct(database(&d))))
        }),
        "drop_database" => run(
            name,
            &[(1, NoSuchObject), (2, InvalidOperation), (3, Meta)],
            || {
                ctx.store
                    .delete_database(&db(a, 1)?, a.bool(3).unwrap_or(false))?;
                Ok(void())
            },
        ),
        "alter_database" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let name = db(a, 1)?;
            let mut d = database_of(
                a.strct(2)
                    .ok_or_else(|| Error::invalid("argument db is missing"))?,
            )?;
            d.name = name.clone();
            ctx.store.update_database(&name, d)?;
            Ok(void())
        }),
        "get_databases" | "get_all_databases" => run(name, &[(1, Meta)], || {
            // Hive 3 clients send `@hive#pattern`, and `@hive#` for all.
            let pattern = match a.str(1) {
                Some(p) if name == "get_databases" => Some(db_arg(&p)?),
                _ => None,
            };
            let re = match pattern.filter(|p| !p.is_empty()) {
                Some(p) => Some(lakecat_catalog_api::names::name_pattern(&p)?),
                None => None,
            };
            let names = all_databases(&*ctx.store)?
                .into_iter()
                .map(|d| d.name.as_str().to_string())
                .filter(|n| re.as_ref().is_none_or(|r| r.is_match(n)));
            Ok(ok(TValue::str_list(names)))
        }),
        _ => return None,
    })
}
