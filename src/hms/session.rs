//! fb303 and the session: names, status, `set_ugi`, `get_config_value`.

use super::context::*;
use super::thrift::{TStruct, TValue};

/// Answers the calls of this family; `None` for the others.
pub fn call(ctx: &Ctx, name: &str, a: &TStruct) -> Option<Answer> {
    use Ex::*;
    Some(match name {
        "getName" => ok(TValue::Str(b"lakecat".to_vec())),
        "getVersion" => ok(TValue::Str(env!("CARGO_PKG_VERSION").as_bytes().to_vec())),
        "getStatus" => ok(TValue::I32(2)), // ALIVE
        "getStatusDetails" => ok(TValue::Str(b"ok".to_vec())),
        "aliveSince" => ok(TValue::I64(ctx.started)),
        "getCounters" => ok(TValue::Map(
            super::thrift::T_STRING,
            super::thrift::T_I64,
            vec![],
        )),
        "shutdown" => Answer::None,
        "set_ugi" => ok(TValue::str_list(a.strings(2))),
        "get_config_value" => run(name, &[(1, ConfigSecurity)], || {
            let key = arg_str(a, 1, "name")?;
            let lower = key.to_lowercase();
            if [
                "password",
                "secret",
                "credential",
                "token",
                "access.key",
                "accesskey",
                "keystore",
            ]
            .iter()
            .any(|w| lower.contains(w))
            {
                return Ok(Answer::Reply(TStruct::new().with(
                    1,
                    TValue::Struct(TStruct::new().with_str(1, format!("{key} is not readable"))),
                )));
            }
            let value = match key.as_str() {
                "hive.metastore.warehouse.dir" => {
                    format!("file:{}", ctx.folders.warehouse().display())
                }
                "hive.metastore.client.capability.check" => "false".into(),
                _ => a.str(2).unwrap_or_default(),
            };
            Ok(ok(TValue::Str(value.into_bytes())))
        }),
        _ => return None,
    })
}
