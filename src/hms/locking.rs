//! Hive locks (`lock`, `check_lock`, `unlock`, `heartbeat`, `show_locks`) over [`super::locks`].

use super::context::*;
use super::thrift::{TStruct, TValue};

/// Answers the calls of this family; `None` for the others.
pub fn call(ctx: &Ctx, name: &str, a: &TStruct) -> Option<Answer> {
    use Ex::*;
    Some(match name {
        // Neither declares a MetaException: a store failure is an application error.
        "lock" => run(name, &[], || {
            Ok(ok(TValue::Struct(ctx.locks.lock(a.strct(1))?)))
        }),
        "check_lock" => run(name, &[(1, Meta), (2, Meta), (3, NoSuchLock)], || {
            let id = a.strct(1).and_then(|r| r.int(1)).unwrap_or(-1);
            Ok(ok(TValue::Struct(ctx.locks.check(id)?)))
        }),
        "unlock" => run(name, &[(1, NoSuchLock), (2, Meta)], || {
            let id = a.strct(1).and_then(|r| r.int(1)).unwrap_or(-1);
            ctx.locks.unlock(id)?;
            Ok(void())
        }),
        "heartbeat" => run(name, &[(1, NoSuchLock), (2, Meta), (3, Meta)], || {
            if let Some(id) = a.strct(1).and_then(|r| r.int(1)) {
                ctx.locks.heartbeat(id)?;
            }
            Ok(void())
        }),
        "show_locks" => run(name, &[], || Ok(ok(TValue::Struct(ctx.locks.show()?)))),
        _ => return None,
    })
}
