//! The Hive Metastore calls lakecat serves, over the catalog store.
//!
//! Each call decodes its arguments by field id, runs against the store and answers
//! a result struct: field 0 on success, or the exception in the slot the method
//! declares (slots differ per method; clients tell the exception's type by its slot).
//! One file per family of calls answers the calls it knows; this one asks each.

use super::context::{Answer, Ctx};
use super::thrift::TStruct;
use super::{
    catalogs, databases, functions, locking, notifications, partitions, session, statistics,
    tables, transactions,
};

/// How a family answers: `None` for a call not its own.
type Family = fn(&Ctx, &str, &TStruct) -> Option<Answer>;

pub fn call(ctx: &Ctx, name: &str, a: &TStruct) -> Answer {
    let (method, answer) = match answer(ctx, name, a) {
        Some(answer) => (name.to_string(), answer),
        None => (
            // A fixed label, so that clients inventing names cannot grow the metric.
            "unknown".to_string(),
            // Hive's Kryo-serialised expressions (get_partitions_by_expr) land here on
            // purpose: answered as unknown, the client prunes partitions itself.
            Answer::Application(
                format!("Invalid method name: '{name}'"),
                super::thrift::UNKNOWN_METHOD,
            ),
        ),
    };
    // Which calls each engine makes, and which fail, is what an operator (and the
    // engine-compatibility tests) need to see.
    let outcome = match &answer {
        Answer::Reply(r) if r.fields.iter().any(|(id, _)| *id > 0) => "exception",
        Answer::Reply(_) | Answer::None => "ok",
        Answer::Application(..) => "refused",
    };
    metrics::counter!("lakecat_thrift_calls_total", "method" => method, "outcome" => outcome)
        .increment(1);
    answer
}

/// Whether a call may change the catalog (or its locks): those are audited.
pub fn is_write(name: &str) -> bool {
    const WRITES: [&str; 17] = [
        "create_",
        "drop_",
        "alter_",
        "add_",
        "update_",
        "delete_",
        "rename_",
        "append_",
        "exchange_",
        "truncate_",
        "set_aggr_stats_for",
        "grant_",
        "revoke_",
        "lock",
        "unlock",
        "open_txns",
        "fire_listener_event",
    ];
    WRITES.iter().any(|p| name.starts_with(p))
}

/// How a call ended, in the audit log's words, with the error's message.
pub fn audit_outcome(answer: &Answer) -> (String, Option<String>) {
    match answer {
        Answer::Reply(r) => match r.fields.iter().find(|(id, _)| *id > 0) {
            Some((_, v)) => ("rejected".into(), v.as_struct().and_then(|s| s.str(1))),
            None => ("ok".into(), None),
        },
        Answer::None => ("ok".into(), None),
        Answer::Application(m, t) if *t == super::thrift::INTERNAL_ERROR => {
            ("failed".into(), Some(m.clone()))
        }
        Answer::Application(m, _) => ("rejected".into(), Some(m.clone())),
    }
}

fn answer(ctx: &Ctx, name: &str, a: &TStruct) -> Option<Answer> {
    let families: [Family; 10] = [
        session::call,
        catalogs::call,
        databases::call,
        tables::call,
        partitions::call,
        functions::call,
        statistics::call,
        locking::call,
        transactions::call,
        notifications::call,
    ];
    families.into_iter().find_map(|family| family(ctx, name, a))
}
