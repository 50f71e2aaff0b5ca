//! Executes HiveQL DDL (parsed by `lakecat-ddl`) against a [`CatalogStore`], with
//! Hive's and Athena's semantics, and answers in the shape of Hive's output.
//!
//! Each statement is atomic: everything it would change is checked before the one
//! store write that changes it. A script stops at its first failing statement; the
//! answer lists the statements applied before it.
//!
//! One file per family of statements; `session` holds what they share.

mod databases;
mod grants;
mod partitions;
mod session;
mod show;
mod tables;

mod results;

use lakecat_catalog_api::error::Error;
use lakecat_catalog_api::store::CatalogStore;
use lakecat_ddl::ast::*;
pub use results::{ResultSet, ScriptError, ScriptOutcome, StatementResult};
pub use session::{partition_name, HIVE_NULL_PARTITION};
use session::{Session, R};

/// Runs a script. `handle` runs the listings of `MSCK REPAIR TABLE`; call this from
/// outside the runtime's worker threads (a blocking task or a plain thread).
pub fn execute(
    store: &dyn CatalogStore,
    folders: &crate::services::folders::Folders,
    handle: &tokio::runtime::Handle,
    sql: &str,
    database: &str,
    grants: Option<std::sync::Arc<crate::services::permissions::Authorizer>>,
) -> ScriptOutcome {
    let mut out = ScriptOutcome {
        results: vec![],
        error: None,
    };
    let parsed = match lakecat_ddl::parse(sql) {
        Ok(p) => p,
        Err(e) => {
            let kind = match e.kind {
                lakecat_ddl::DdlErrorKind::Syntax => "syntax error",
                lakecat_ddl::DdlErrorKind::Unsupported => "unsupported statement",
            };
            out.error = Some(ScriptError {
                statement: e.statement,
                line: e.line,
                column: e.column,
                error: Error::invalid(format!(
                    "{kind} in statement {} at line {}, column {}: {}",
                    e.statement + 1,
                    e.line,
                    e.column,
                    e.message
                )),
            });
            return out;
        }
    };
    let mut session = Session {
        database: database.to_lowercase(),
        folders: folders.clone(),
        grants,
    };
    for p in parsed {
        match run(store, handle, &mut session, &p.statement) {
            Ok(r) => out.results.push(r),
            Err(error) => {
                out.error = Some(ScriptError {
                    statement: p.index,
                    line: p.line,
                    column: p.column,
                    error: error.context(format!(
                        "statement {} ({}) at line {}, column {}",
                        p.index + 1,
                        p.statement.kind(),
                        p.line,
                        p.column
                    )),
                });
                break;
            }
        }
    }
    out
}

fn run(
    store: &dyn CatalogStore,
    handle: &tokio::runtime::Handle,
    s: &mut Session,
    st: &Statement,
) -> R<StatementResult> {
    use Statement::*;
    match st {
        CreateDatabase { .. } | DropDatabase { .. } | Use { .. } | ShowDatabases { .. } => {
            databases::run(store, s, st)
        }
        CreateTable(_)
        | DropTable { .. }
        | SetLocation { .. }
        | SetTblProperties { .. }
        | AddColumns { .. }
        | ReplaceColumns { .. }
        | RenameTable { .. } => tables::run(store, s, st),
        AddPartitions { .. }
        | DropPartitions { .. }
        | RenamePartition { .. }
        | RepairTable { .. }
        | ShowPartitions { .. } => partitions::run(store, handle, s, st),
        ShowTables { .. }
        | ShowCreateTable { .. }
        | ShowTblProperties { .. }
        | ShowColumns { .. }
        | Describe { .. } => show::run(store, s, st),
        Grant { .. } | ShowGrant { .. } => grants::run(s, st),
    }
}
