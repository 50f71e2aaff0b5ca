//! Column statistics of tables and partitions, and their aggregates.

use super::context::*;
use super::convert::*;
use super::thrift::{TStruct, TValue};
use lakecat_catalog_api::{Error, ErrorKind};

/// Answers the calls of this family; `None` for the others.
pub fn call(ctx: &Ctx, name: &str, a: &TStruct) -> Option<Answer> {
    use Ex::*;
    Some(match name {
        "update_table_column_statistics" | "update_partition_column_statistics" => run(
            name,
            &[
                (1, NoSuchObject),
                (2, InvalidObject),
                (3, Meta),
                (4, InvalidInput),
            ],
            || {
                let cs = a
                    .strct(1)
                    .ok_or_else(|| Error::invalid("argument stats_obj is missing"))?;
                ctx.update_statistics(cs)?;
                Ok(ok(TValue::Bool(true)))
            },
        ),
        "set_aggr_stats_for" => run(
            name,
            &[
                (1, NoSuchObject),
                (2, InvalidObject),
                (3, Meta),
                (4, InvalidInput),
            ],
            || {
                let r = a
                    .strct(1)
                    .ok_or_else(|| Error::invalid("argument request is missing"))?;
                for cs in r.list(1).iter().filter_map(TValue::as_struct) {
                    ctx.update_statistics(cs)?;
                }
                Ok(ok(TValue::Bool(true)))
            },
        ),
        "get_table_statistics_req" => run(name, &[(1, NoSuchObject), (2, Meta)], || {
            let r = a
                .strct(1)
                .ok_or_else(|| Error::invalid("argument request is missing"))?;
            let id = tid(r, 1, 2)?;
            let found = ctx
                .store
                .get_column_statistics(&id, None, &r.strings(3))
                .map_err(no_table(&id))?;
            Ok(ok(TValue::Struct(TStruct::new().with(
                1,
                TValue::struct_list(found.iter().map(super::stats::obj)),
            ))))
        }),
        "get_partitions_statistics_req" => run(name, &[(1, NoSuchObject), (2, Meta)], || {
            let r = a
                .strct(1)
                .ok_or_else(|| Error::invalid("argument request is missing"))?;
            let id = tid(r, 1, 2)?;
            let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
            let cols = r.strings(3);
            let mut entries = Vec::new();
            for n in r.strings(4) {
                let vals = values_of_name(&t.partition_keys, &n)?;
                match ctx.store.get_column_statistics(&id, Some(&vals), &cols) {
                    Ok(found) if !found.is_empty() => entries.push((
                        TValue::Str(n.into_bytes()),
                        TValue::struct_list(found.iter().map(super::stats::obj)),
                    )),
                    Ok(_) => {}
                    Err(e) if e.kind == ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            let map = TValue::Map(super::thrift::T_STRING, super::thrift::T_LIST, entries);
            Ok(ok(TValue::Struct(TStruct::new().with(1, map))))
        }),
        "get_table_column_statistics" | "get_partition_column_statistics" => run(
            name,
            &[
                (1, NoSuchObject),
                (2, Meta),
                (3, InvalidInput),
                (4, InvalidObject),
            ],
            || {
                let id = tid(a, 1, 2)?;
                let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
                let (part, col) = if name == "get_partition_column_statistics" {
                    let n = arg_str(a, 3, "part_name")?;
                    (
                        Some((n.clone(), values_of_name(&t.partition_keys, &n)?)),
                        arg_str(a, 4, "col_name")?,
                    )
                } else {
                    (None, arg_str(a, 3, "col_name")?)
                };
                let vals = part.as_ref().map(|(_, v)| v.as_slice());
                let found =
                    ctx.store
                        .get_column_statistics(&id, vals, std::slice::from_ref(&col))?;
                let Some(st) = found.first() else {
                    return Err(lakecat_catalog_api::store::statistics_not_found(
                        &id, vals, &col,
                    ));
                };
                let mut desc = TStruct::new()
                    .with(1, TValue::Bool(part.is_none()))
                    .with_str(2, id.database.as_str())
                    .with_str(3, id.name.as_str());
                if let Some((n, _)) = &part {
                    desc = desc.with_str(4, n.clone());
                }
                desc = desc.with(5, TValue::I64(st.analyzed_time));
                Ok(ok(TValue::Struct(
                    TStruct::new()
                        .with(1, TValue::Struct(desc))
                        .with(2, TValue::struct_list([super::stats::obj(st)])),
                )))
            },
        ),
        "delete_table_column_statistics" | "delete_partition_column_statistics" => run(
            name,
            &[
                (1, NoSuchObject),
                (2, Meta),
                (3, InvalidObject),
                (4, InvalidInput),
            ],
            || {
                let id = tid(a, 1, 2)?;
                let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
                let (vals, col) = if name == "delete_partition_column_statistics" {
                    (
                        Some(values_of_name(
                            &t.partition_keys,
                            &arg_str(a, 3, "part_name")?,
                        )?),
                        a.str(4),
                    )
                } else {
                    (None, a.str(3))
                };
                match col {
                    Some(c) => ctx
                        .store
                        .delete_column_statistics(&id, vals.as_deref(), &c)?,
                    // No column: all of them, as Hive does.
                    None => {
                        let names: Vec<String> =
                            t.columns().iter().map(|c| c.name.clone()).collect();
                        for st in ctx
                            .store
                            .get_column_statistics(&id, vals.as_deref(), &names)?
                        {
                            ctx.store.delete_column_statistics(
                                &id,
                                vals.as_deref(),
                                &st.column_name,
                            )?;
                        }
                    }
                }
                Ok(ok(TValue::Bool(true)))
            },
        ),
        _ => return None,
    })
}
