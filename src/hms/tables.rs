//! Tables: create (placing managed ones), get (one, several, metadata), list, alter (renames), drop.

use super::context::*;
use super::convert::*;
use super::thrift::{TStruct, TValue};
use lakecat_catalog_api::model::{Column, TableType};
use lakecat_catalog_api::store::{all_databases, all_tables};
use lakecat_catalog_api::{DatabaseName, Error, Result, TableIdent};

/// Answers the calls of this family; `None` for the others.
pub fn call(ctx: &Ctx, name: &str, a: &TStruct) -> Option<Answer> {
    use Ex::*;
    Some(match name {
        "create_table" | "create_table_with_environment_context" => run(
            name,
            &[
                (1, AlreadyExists),
                (2, InvalidObject),
                (3, Meta),
                (4, NoSuchObject),
            ],
            || {
                ctx.create_table(a)?;
                Ok(void())
            },
        ),
        "get_table" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let id = tid(a, 1, 2)?;
            let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
            Ok(ok(TValue::Struct(table(&t))))
        }),
        "get_table_req" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let r = a
                .strct(1)
                .ok_or_else(|| Error::invalid("argument req is missing"))?;
            check_catalog(&r.str(4).unwrap_or_default())?;
            let id = tid(r, 1, 2)?;
            let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
            Ok(ok(TValue::Struct(
                TStruct::new().with(1, TValue::Struct(table(&t))),
            )))
        }),
        "get_table_objects_by_name" => run(
            name,
            &[(1, Meta), (2, InvalidOperation), (3, UnknownDb)],
            || {
                let d = db(a, 1)?;
                ctx.store.get_database(&d)?;
                let mut out = Vec::new();
                for n in a.strings(2) {
                    if let Ok(id) = TableIdent::parse(d.as_str(), &n) {
                        if let Ok(t) = ctx.store.get_table(&id) {
                            out.push(table(&t));
                        }
                    }
                }
                Ok(ok(TValue::struct_list(out)))
            },
        ),
        "get_table_objects_by_name_req" => run(
            name,
            &[(1, Meta), (2, InvalidOperation), (3, UnknownDb)],
            || {
                let r = a
                    .strct(1)
                    .ok_or_else(|| Error::invalid("argument req is missing"))?;
                let d = db(r, 1)?;
                let mut out = Vec::new();
                for n in r.strings(2) {
                    if let Ok(id) = TableIdent::parse(d.as_str(), &n) {
                        if let Ok(t) = ctx.store.get_table(&id) {
                            out.push(table(&t));
                        }
                    }
                }
                Ok(ok(TValue::Struct(
                    TStruct::new().with(1, TValue::struct_list(out)),
                )))
            },
        ),
        "get_tables" | "get_all_tables" | "get_tables_by_type" => run(name, &[(1, Meta)], || {
            let d = db(a, 1)?;
            let re = match (name, a.str(2)) {
                ("get_all_tables", _) | (_, None) => None,
                (_, Some(p)) => Some(lakecat_catalog_api::names::name_pattern(&p)?),
            };
            let kind = if name == "get_tables_by_type" {
                a.str(3)
            } else {
                None
            };
            let names = all_tables(&*ctx.store, &d, None)?
                .into_iter()
                .filter(|t| {
                    kind.as_deref().is_none_or(|k| {
                        t.table_type.unwrap_or(TableType::ExternalTable).as_str() == k
                    })
                })
                .map(|t| t.name.as_str().to_string())
                .filter(|n| re.as_ref().is_none_or(|r| r.is_match(n)));
            Ok(ok(TValue::str_list(names)))
        }),
        "get_table_meta" => run(name, &[(1, Meta)], || {
            let dbs = match db_arg(&a.str(1).unwrap_or_default())? {
                p if p.is_empty() => lakecat_catalog_api::names::name_pattern("*")?,
                p => lakecat_catalog_api::names::name_pattern(&p)?,
            };
            let tbls =
                lakecat_catalog_api::names::name_pattern(&a.str(2).unwrap_or_else(|| "*".into()))?;
            let types = a.strings(3);
            let mut out = Vec::new();
            for d in all_databases(&*ctx.store)? {
                if !dbs.is_match(d.name.as_str()) {
                    continue;
                }
                for t in all_tables(&*ctx.store, &d.name, None)? {
                    let ty = t.table_type.unwrap_or(TableType::ExternalTable).as_str();
                    if tbls.is_match(t.name.as_str())
                        && (types.is_empty() || types.iter().any(|x| x == ty))
                    {
                        out.push(
                            TStruct::new()
                                .with_str(1, d.name.as_str())
                                .with_str(2, t.name.as_str())
                                .with_str(3, ty)
                                .with_str(4, t.description.clone().unwrap_or_default()),
                        );
                    }
                }
            }
            Ok(ok(TValue::struct_list(out)))
        }),
        "get_fields"
        | "get_schema"
        | "get_fields_with_environment_context"
        | "get_schema_with_environment_context" => run(
            name,
            &[(1, Meta), (2, UnknownTable), (3, UnknownDb)],
            || {
                let cols = fields(ctx, &tid(a, 1, 2)?, name.starts_with("get_schema"))?;
                Ok(ok(columns(&cols)))
            },
        ),
        "drop_table" | "drop_table_with_environment_context" => {
            run(name, &[(1, NoSuchObject), (2, Meta)], || {
                ctx.drop_table(a)?;
                Ok(void())
            })
        }
        "alter_table" | "alter_table_with_environment_context" | "alter_table_with_cascade" => {
            run(name, &[(1, InvalidOperation), (2, Meta)], || {
                ctx.alter_table(tid(a, 1, 2)?, a.strct(3))?;
                Ok(void())
            })
        }
        "alter_table_req" => run(name, &[(1, InvalidOperation), (2, Meta)], || {
            let r = req(a)?;
            ctx.alter_table(req_table(r, 1, 2, 3)?, r.strct(4))?;
            Ok(ok(TValue::Struct(TStruct::new())))
        }),
        "get_fields_req" | "get_schema_req" => run(
            name,
            &[(1, Meta), (2, UnknownTable), (3, UnknownDb)],
            || {
                let r = req(a)?;
                let cols = fields(ctx, &req_table(r, 1, 2, 3)?, name == "get_schema_req")?;
                Ok(ok(TValue::Struct(TStruct::new().with(1, columns(&cols)))))
            },
        ),
        "get_tables_ext" => run(name, &[(1, Meta)], || {
            let r = req(a)?;
            check_catalog(&r.str(1).unwrap_or_default())?;
            let d = DatabaseName::new(&db_arg(&r.str(2).unwrap_or_default())?)?;
            let re = lakecat_catalog_api::names::name_pattern(
                &r.str(3)
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| "*".into()),
            )?;
            // ACCESS_TYPE (bit 1) asks for each table's access type: read-write.
            let access = r.int(4).unwrap_or(0) & 1 != 0;
            let max = match r.int(5) {
                Some(n) if n > 0 => n as usize,
                _ => usize::MAX,
            };
            let infos = all_tables(&*ctx.store, &d, None)?
                .into_iter()
                .filter(|t| re.is_match(t.name.as_str()))
                .take(max)
                .map(|t| {
                    let info = TStruct::new().with_str(1, t.name.as_str());
                    if access {
                        info.with(2, TValue::I32(8))
                    } else {
                        info
                    }
                });
            Ok(ok(TValue::struct_list(infos)))
        }),
        _ => return None,
    })
}

/// A table's columns; with `keys`, its partition keys after them (`get_schema`).
fn fields(ctx: &Ctx, id: &TableIdent, keys: bool) -> Result<Vec<Column>> {
    let t = ctx.store.get_table(id).map_err(no_table(id))?;
    let mut cols = t.columns().to_vec();
    if keys {
        cols.extend(t.partition_keys.iter().cloned());
    }
    Ok(cols)
}
