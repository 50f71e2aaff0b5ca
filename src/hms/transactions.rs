//! Hive's ACID transactions, which lakecat does not serve: every call a client
//! makes to open, commit or abort a transaction or to get write ids is refused
//! with a message that says so, in the method's MetaException slot where it has
//! one. Engines only make these calls for transactional tables, and lakecat
//! refuses to create those (see [`super::context::not_transactional`]), so Spark's and Trino's reads and
//! writes of ordinary tables never meet them.

use super::context::*;
use super::thrift::TStruct;
use lakecat_catalog_api::Error;

/// Answers the calls of this family; `None` for the others.
pub fn call(_ctx: &Ctx, name: &str, _a: &TStruct) -> Option<Answer> {
    use Ex::*;
    let refuse = |slots: &[(i16, Ex)]| run(name, slots, || Err(Error::invalid(not_served(name))));
    Some(match name {
        "allocate_table_write_ids" => refuse(&[(3, Meta)]),
        "get_valid_write_ids" => refuse(&[(2, Meta)]),
        // Declared without a MetaException: the refusal is an application error.
        "open_txns"
        | "get_open_txns"
        | "get_open_txns_info"
        | "commit_txn"
        | "abort_txn"
        | "abort_txns"
        | "get_latest_txnid_in_conflict"
        | "repl_tbl_writeid_state" => {
            Answer::Application(not_served(name), super::thrift::UNKNOWN_METHOD)
        }
        _ => return None,
    })
}
