//! Partitions: add, get (by values, names, `_ps` wildcards, filters), rename, drop.

use super::context::*;
use super::convert::*;
use super::thrift::{TStruct, TValue};
use lakecat_catalog_api::model::{Partition, Table};
use lakecat_catalog_api::{Error, ErrorKind, Result, TableIdent};

/// Answers the calls of this family; `None` for the others.
pub fn call(ctx: &Ctx, name: &str, a: &TStruct) -> Option<Answer> {
    use Ex::*;
    Some(match name {
        "add_partition" | "add_partition_with_environment_context" => run(
            name,
            &[(1, InvalidObject), (2, AlreadyExists), (3, Meta)],
            || {
                let p = a
                    .get(1)
                    .cloned()
                    .ok_or_else(|| Error::invalid("argument new_part is missing"))?;
                let (_, added) = ctx.add_partitions(&[p], false, true)?;
                let (t, p) = added
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::storage("the partition was not stored"))?;
                Ok(ok(TValue::Struct(partition(&p, &t))))
            },
        ),
        "add_partitions" => run(
            name,
            &[(1, InvalidObject), (2, AlreadyExists), (3, Meta)],
            || {
                let (n, _) = ctx.add_partitions(a.list(1), false, false)?;
                Ok(ok(TValue::I32(n as i32)))
            },
        ),
        "add_partitions_req" => run(
            name,
            &[(1, InvalidObject), (2, AlreadyExists), (3, Meta)],
            || {
                let r = a
                    .strct(1)
                    .ok_or_else(|| Error::invalid("argument request is missing"))?;
                let id = tid(r, 1, 2)?;
                // The request names the table once; its partitions may leave it out.
                let parts: Vec<TValue> = r
                    .list(3)
                    .iter()
                    .filter_map(TValue::as_struct)
                    .map(|p| {
                        let mut p = p.clone();
                        p.fields.retain(|(i, _)| *i != 2 && *i != 3);
                        TValue::Struct(
                            p.with_str(2, id.database.as_str())
                                .with_str(3, id.name.as_str()),
                        )
                    })
                    .collect();
                let need = r.bool(5).unwrap_or(true);
                let (_, added) = ctx.add_partitions(&parts, r.bool(4).unwrap_or(false), need)?;
                let mut res = TStruct::new();
                if need {
                    res = res.with(
                        1,
                        TValue::struct_list(added.iter().map(|(t, p)| partition(p, t))),
                    );
                }
                Ok(ok(TValue::Struct(res)))
            },
        ),
        "get_partition" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let id = tid(a, 1, 2)?;
            let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
            let p = ctx.store.get_partition(&id, &a.strings(3))?;
            Ok(ok(TValue::Struct(partition(&p, &t))))
        }),
        "get_partition_by_name" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let id = tid(a, 1, 2)?;
            let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
            let vals = values_of_name(&t.partition_keys, &arg_str(a, 3, "part_name")?)?;
            let p = ctx.store.get_partition(&id, &vals)?;
            Ok(ok(TValue::Struct(partition(&p, &t))))
        }),
        "get_partitions" | "get_partitions_with_auth" => {
            run(name, &[(1, NoSuchObject), (2, Meta)], || {
                let id = tid(a, 1, 2)?;
                let (t, ps) = partitions(ctx, &id, None, limit(a, 3)).map_err(no_table(&id))?;
                Ok(ok(partition_list(&t, &ps)))
            })
        }
        "get_partition_names" => run(name, &[(1, NoSuchObject), (2, Meta)], || {
            let id = tid(a, 1, 2)?;
            let (t, ps) =
                partitions_of(ctx, &id, None, limit(a, 3), true).map_err(no_table(&id))?;
            Ok(ok(names_list(&t, &ps)))
        }),
        "get_partitions_ps" | "get_partitions_ps_with_auth" | "get_partition_names_ps" => {
            let slots: &[(i16, Ex)] = if name == "get_partitions_ps_with_auth" {
                &[(1, NoSuchObject), (2, Meta)]
            } else {
                &[(1, Meta), (2, NoSuchObject)]
            };
            run(name, slots, || {
                let id = tid(a, 1, 2)?;
                let names = name == "get_partition_names_ps";
                let (t, ps) = by_values(ctx, &id, &a.strings(3), limit(a, 4), names)?;
                Ok(ok(if names {
                    names_list(&t, &ps)
                } else {
                    partition_list(&t, &ps)
                }))
            })
        }
        // Hive 4's request forms of the same.
        "get_partitions_ps_with_auth_req" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let r = req(a)?;
            let id = req_table(r, 1, 2, 3)?;
            let (t, ps) = by_values(ctx, &id, &r.strings(4), limit(r, 5), false)?;
            Ok(ok(TValue::Struct(
                TStruct::new().with(1, partition_list(&t, &ps)),
            )))
        }),
        "get_partition_names_ps_req" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let r = req(a)?;
            let id = req_table(r, 1, 2, 3)?;
            let (t, ps) = by_values(ctx, &id, &r.strings(4), limit(r, 5), true)?;
            Ok(ok(TValue::Struct(
                TStruct::new().with(1, names_list(&t, &ps)),
            )))
        }),
        "get_partitions_by_names_req" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let r = req(a)?;
            let id = req_table(r, 0, 1, 2)?;
            let (t, ps) = by_names(ctx, &id, r.strings(3))?;
            Ok(ok(TValue::Struct(
                TStruct::new().with(1, partition_list(&t, &ps)),
            )))
        }),
        "alter_partition"
        | "alter_partition_with_environment_context"
        | "alter_partitions"
        | "alter_partitions_with_environment_context" => {
            run(name, &[(1, InvalidOperation), (2, Meta)], || {
                let id = tid(a, 1, 2)?;
                let parts: Vec<&TStruct> = if name.starts_with("alter_partitions") {
                    a.list(3).iter().filter_map(TValue::as_struct).collect()
                } else {
                    a.strct(3).into_iter().collect()
                };
                ctx.alter_partitions(&id, &parts)?;
                Ok(void())
            })
        }
        "alter_partitions_req" => run(name, &[(1, InvalidOperation), (2, Meta)], || {
            let r = req(a)?;
            let id = req_table(r, 1, 2, 3)?;
            let parts: Vec<&TStruct> = r.list(4).iter().filter_map(TValue::as_struct).collect();
            ctx.alter_partitions(&id, &parts)?;
            Ok(ok(TValue::Struct(TStruct::new())))
        }),
        "get_partitions_by_filter" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let id = tid(a, 1, 2)?;
            let f = parse_hive_filter(&a.str(3).unwrap_or_default())?;
            let (t, ps) = partitions(ctx, &id, f.as_ref(), limit(a, 4)).map_err(no_table(&id))?;
            Ok(ok(partition_list(&t, &ps)))
        }),
        // Hive 4's request form (hive_metastore.thrift: 1 catName, 2 dbName, 3 tblName,
        // 4 filter, 5 maxParts); it answers the bare list, as the old call does.
        "get_partitions_by_filter_req" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let r = req(a)?;
            let id = req_table(r, 1, 2, 3)?;
            let f = parse_hive_filter(&r.str(4).unwrap_or_default())?;
            let (t, ps) = partitions(ctx, &id, f.as_ref(), limit(r, 5)).map_err(no_table(&id))?;
            Ok(ok(partition_list(&t, &ps)))
        }),
        "get_num_partitions_by_filter" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let id = tid(a, 1, 2)?;
            let f = parse_hive_filter(&a.str(3).unwrap_or_default())?;
            let (_, ps) = partitions(ctx, &id, f.as_ref(), usize::MAX).map_err(no_table(&id))?;
            Ok(ok(TValue::I32(ps.len() as i32)))
        }),
        "get_partitions_by_names" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let id = tid(a, 1, 2)?;
            let (t, ps) = by_names(ctx, &id, a.strings(3))?;
            Ok(ok(partition_list(&t, &ps)))
        }),
        "drop_partition"
        | "drop_partition_with_environment_context"
        | "drop_partition_by_name"
        | "drop_partition_by_name_with_environment_context" => {
            run(name, &[(1, NoSuchObject), (2, Meta)], || {
                let id = tid(a, 1, 2)?;
                let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
                let vals = if name.starts_with("drop_partition_by_name") {
                    values_of_name(&t.partition_keys, &arg_str(a, 3, "part_name")?)?
                } else {
                    a.strings(3)
                };
                let errors = ctx.store.delete_partitions(&id, &[vals])?;
                if let Some(e) = errors.into_iter().next() {
                    return Err(e.error);
                }
                Ok(ok(TValue::Bool(true)))
            })
        }
        "drop_partitions_req" => run(name, &[(1, NoSuchObject), (2, Meta)], || {
            let r = a
                .strct(1)
                .ok_or_else(|| Error::invalid("argument req is missing"))?;
            let id = tid(r, 1, 2)?;
            let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
            let spec = r
                .strct(3)
                .ok_or_else(|| Error::invalid("DropPartitionsRequest has no parts"))?;
            if spec.get(1).is_none() {
                // Partition expressions are Kryo-serialised Java objects.
                return Err(Error::invalid(
                    "drop_partitions_req by expressions is not supported; name the partitions",
                ));
            }
            let mut found = Vec::new();
            for n in spec.strings(1) {
                let vals = values_of_name(&t.partition_keys, &n)?;
                match ctx.store.get_partition(&id, &vals) {
                    Ok(p) => found.push(p),
                    Err(e) if e.kind == ErrorKind::NotFound && r.bool(5).unwrap_or(true) => {}
                    Err(e) => return Err(e),
                }
            }
            let values: Vec<Vec<String>> = found.iter().map(|p| p.values.clone()).collect();
            let errors = ctx.store.delete_partitions(&id, &values)?;
            if let Some(e) = errors.into_iter().next() {
                return Err(e.error);
            }
            let mut res = TStruct::new();
            if r.bool(8).unwrap_or(true) {
                res = res.with(1, partition_list(&t, &found));
            }
            Ok(ok(TValue::Struct(res)))
        }),
        "rename_partition" => run(name, &[(1, InvalidOperation), (2, Meta)], || {
            let id = tid(a, 1, 2)?;
            let p = partition_of(
                a.strct(4)
                    .ok_or_else(|| Error::invalid("argument new_part is missing"))?,
            );
            ctx.store.update_partition(&id, &a.strings(3), p)?;
            Ok(void())
        }),
        _ => return None,
    })
}

/// The partitions named `dt=…/hour=…` that exist.
fn by_names(ctx: &Ctx, id: &TableIdent, names: Vec<String>) -> Result<(Table, Vec<Partition>)> {
    let t = ctx.store.get_table(id).map_err(no_table(id))?;
    let mut out = Vec::new();
    for n in names {
        let vals = values_of_name(&t.partition_keys, &n)?;
        if let Ok(p) = ctx.store.get_partition(id, &vals) {
            out.push(p);
        }
    }
    Ok((t, out))
}

/// The partitions whose values match `vals` (`''` matches any), as `*_ps` calls ask.
fn by_values(
    ctx: &Ctx,
    id: &TableIdent,
    vals: &[String],
    max: usize,
    names_only: bool,
) -> Result<(Table, Vec<Partition>)> {
    let t = ctx.store.get_table(id).map_err(no_table(id))?;
    let f = ps_filter(&t, vals)?;
    partitions_of(ctx, id, f.as_ref(), max, names_only)
}
