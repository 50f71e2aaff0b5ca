//! Hive 3's catalogs. lakecat serves one catalog, Hive's default `hive`, whose
//! location is the warehouse. Hive 3 clients also name it inside database
//! arguments (`@hive#sales`), which every call accepts (see
//! [`super::context::db_arg`]); other catalogs are refused clearly.

use super::context::*;
use super::thrift::{TStruct, TValue};
use lakecat_catalog_api::Error;

fn catalog(ctx: &Ctx) -> TStruct {
    TStruct::new()
        .with_str(1, HIVE_CATALOG)
        .with_str(2, "Hive's default catalog (the only one lakecat serves)")
        .with_str(3, format!("file:{}", ctx.folders.warehouse().display()))
}

/// Answers the calls of this family; `None` for the others.
pub fn call(ctx: &Ctx, name: &str, a: &TStruct) -> Option<Answer> {
    use Ex::*;
    Some(match name {
        "get_catalogs" => ok(TValue::Struct(
            TStruct::new().with(1, TValue::str_list([HIVE_CATALOG.to_string()])),
        )),
        "get_catalog" => run(name, &[(1, NoSuchObject), (2, Meta)], || {
            let n = a.strct(1).and_then(|r| r.str(1)).unwrap_or_default();
            check_catalog(&n)?;
            Ok(ok(TValue::Struct(
                TStruct::new().with(1, TValue::Struct(catalog(ctx))),
            )))
        }),
        "create_catalog" => run(
            name,
            &[(1, AlreadyExists), (2, InvalidObject), (3, Meta)],
            || {
                let n = a
                    .strct(1)
                    .and_then(|r| r.strct(1))
                    .and_then(|c| c.str(1))
                    .unwrap_or_default();
                if n.eq_ignore_ascii_case(HIVE_CATALOG) {
                    return Err(Error::already_exists("catalog hive already exists"));
                }
                Err(Error::invalid(format!(
                    "catalog {n:?} cannot be created: lakecat serves one catalog, hive"
                )))
            },
        ),
        "alter_catalog" | "drop_catalog" => run(
            name,
            &[(1, NoSuchObject), (2, InvalidOperation), (3, Meta)],
            || {
                let n = a
                    .strct(1)
                    .and_then(|r| r.str(1).or_else(|| r.strct(1).and_then(|c| c.str(1))))
                    .unwrap_or_default();
                check_catalog(&n)?;
                Err(Error::invalid(format!(
                    "{name}: catalog hive is lakecat's only catalog and cannot be changed"
                )))
            },
        ),
        _ => return None,
    })
}
