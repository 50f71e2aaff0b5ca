//! Functions: create, get, list, alter, drop.

use super::context::*;
use super::convert::*;
use super::thrift::{TStruct, TValue, T_STRUCT};
use lakecat_catalog_api::store::{all_databases, PageRequest};
use lakecat_catalog_api::{DatabaseName, Error};

/// Answers the calls of this family; `None` for the others.
pub fn call(ctx: &Ctx, name: &str, a: &TStruct) -> Option<Answer> {
    use Ex::*;
    Some(match name {
        "create_function" => run(
            name,
            &[
                (1, AlreadyExists),
                (2, InvalidObject),
                (3, Meta),
                (4, NoSuchObject),
            ],
            || {
                let s = a
                    .strct(1)
                    .ok_or_else(|| Error::invalid("argument func is missing"))?;
                let d = DatabaseName::new(&s.str(2).unwrap_or_default())?;
                ctx.store.create_function(&d, function_of(s))?;
                Ok(void())
            },
        ),
        "get_function" => run(name, &[(1, Meta), (2, NoSuchObject)], || {
            let f = ctx
                .store
                .get_function(&db(a, 1)?, &arg_str(a, 2, "funcName")?)?;
            Ok(ok(TValue::Struct(function(&f))))
        }),
        "get_functions" => run(name, &[(1, Meta)], || {
            let d = db(a, 1)?;
            let re =
                lakecat_catalog_api::names::name_pattern(&a.str(2).unwrap_or_else(|| "*".into()))?;
            let mut names = Vec::new();
            let mut page = PageRequest::first(1000);
            loop {
                let p = ctx.store.list_functions(&d, Some(&re), &page)?;
                names.extend(p.items.into_iter().map(|f| f.function_name));
                match p.next_token {
                    Some(t) => page.token = Some(t),
                    None => break,
                }
            }
            Ok(ok(TValue::str_list(names)))
        }),
        "get_all_functions" => run(name, &[(1, Meta)], || {
            let mut out = Vec::new();
            for d in all_databases(&*ctx.store)? {
                let mut page = PageRequest::first(1000);
                loop {
                    let p = ctx.store.list_functions(&d.name, None, &page)?;
                    out.extend(p.items.iter().map(function));
                    match p.next_token {
                        Some(t) => page.token = Some(t),
                        None => break,
                    }
                }
            }
            Ok(ok(TValue::Struct(TStruct::new().with(
                1,
                TValue::List(T_STRUCT, out.into_iter().map(TValue::Struct).collect()),
            ))))
        }),
        "drop_function" => run(name, &[(1, NoSuchObject), (2, Meta)], || {
            ctx.store
                .delete_function(&db(a, 1)?, &arg_str(a, 2, "funcName")?)?;
            Ok(void())
        }),
        "alter_function" => run(name, &[(1, InvalidOperation), (2, Meta)], || {
            let s = a
                .strct(3)
                .ok_or_else(|| Error::invalid("argument newFunc is missing"))?;
            ctx.store
                .update_function(&db(a, 1)?, &arg_str(a, 2, "funcName")?, function_of(s))?;
            Ok(void())
        }),
        _ => return None,
    })
}
