//! The Hive Metastore calls lakecat serves, over the catalog store.
//!
//! Each call decodes its arguments by field id, runs against the store and answers
//! a result struct: field 0 on success, or the exception in the slot the method
//! declares (slots differ per method; clients tell the exception's type by its slot).
//! One file per family of calls answers the calls it knows; this one asks each.

use super::context::{Answer, Ctx};
use super::thrift::TStruct;
use super::{
    catalogs, databases, functions, locking, partitions, session, statistics, tables, transactions,
};

/// How a family answers: `None` for a call not its own.
type Family = fn(&Ctx, &str, &TStruct) -> Option<Answer>;

pub fn call(ctx: &Ctx, name: &str, a: &TStruct) -> Answer {
    let families: [Family; 9] = [
        session::call,
        catalogs::call,
        databases::call,
        tables::call,
        partitions::call,
        functions::call,
        statistics::call,
        locking::call,
        transactions::call,
    ];
    for family in families {
        if let Some(answer) = family(ctx, name, a) {
            return answer;
        }
    }
    // Hive's Kryo-serialised expressions (get_partitions_by_expr) land here on
    // purpose: answered as unknown, the client prunes partitions itself.
    Answer::Application(
        format!("Invalid method name: '{name}'"),
        super::thrift::UNKNOWN_METHOD,
    )
}
