//! Executes HiveQL DDL (parsed by `lakecat-ddl`) against a [`CatalogStore`], with
//! Hive's and Athena's semantics, and answers in the shape of Hive's output.
//!
//! Each statement is atomic: everything it would change is checked before the one
//! store write that changes it. A script stops at its first failing statement; the
//! answer lists the statements applied before it.

use lakecat_catalog_api::error::{Error, ErrorKind};
use lakecat_catalog_api::model::{
    Column, Database, Order, Parameters, Partition, SerDeInfo, StorageDescriptor, Table, TableType,
};
use lakecat_catalog_api::names::{DatabaseName, TableIdent};
use lakecat_catalog_api::store::{
    all_databases, all_partitions, all_tables, managed_table_folder, CatalogStore,
    UpdateTableOptions,
};
use lakecat_catalog_api::types::HiveType;
use lakecat_ddl::ast::*;
use serde::Serialize;

pub const HIVE_NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";
const LAZY_SIMPLE: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
const TEXT_IN: &str = "org.apache.hadoop.mapred.TextInputFormat";
const TEXT_OUT: &str = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResultSet {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatementResult {
    /// The statement's kind (`CREATE TABLE`, `SHOW PARTITIONS`, …).
    pub statement: String,
    /// `ok`, or `unchanged` when IF [NOT] EXISTS made it a no-op.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_set: Option<ResultSet>,
}

/// Why a script stopped: the failing statement (0-based), where it starts, the error.
#[derive(Debug, Clone)]
pub struct ScriptError {
    pub statement: usize,
    pub line: u64,
    pub column: u64,
    pub error: Error,
}

#[derive(Debug, Clone)]
pub struct ScriptOutcome {
    pub results: Vec<StatementResult>,
    pub error: Option<ScriptError>,
}

/// Runs a script. `handle` runs the listings of `MSCK REPAIR TABLE`; call this from
/// outside the runtime's worker threads (a blocking task or a plain thread).
pub fn execute(
    store: &dyn CatalogStore,
    folders: &crate::services::folders::Folders,
    handle: &tokio::runtime::Handle,
    sql: &str,
    database: &str,
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

struct Session {
    database: String,
    /// Which folders statements may move (renames of managed tables).
    folders: crate::services::folders::Folders,
}

type R<T> = Result<T, Error>;

fn ok(st: &Statement) -> StatementResult {
    StatementResult {
        statement: st.kind().into(),
        status: "ok".into(),
        message: None,
        result_set: None,
    }
}

fn unchanged(st: &Statement, why: String) -> StatementResult {
    StatementResult {
        status: "unchanged".into(),
        message: Some(why),
        ..ok(st)
    }
}

fn rows(st: &Statement, columns: &[&str], rows: Vec<Vec<String>>) -> StatementResult {
    StatementResult {
        result_set: Some(ResultSet {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        }),
        ..ok(st)
    }
}

fn ident(s: &Session, q: &QualifiedName) -> R<TableIdent> {
    TableIdent::parse(q.database.as_deref().unwrap_or(&s.database), &q.name)
}

fn db_name(n: &str) -> R<DatabaseName> {
    DatabaseName::new(n)
}

/// Hive's SHOW pattern: `*` any characters, `|` alternatives, case-insensitive.
pub fn hive_pattern(p: &str) -> R<regex::Regex> {
    let alts: Vec<String> = p
        .split('|')
        .map(|a| {
            a.trim()
                .split('*')
                .map(regex::escape)
                .collect::<Vec<_>>()
                .join(".*")
        })
        .collect();
    regex::Regex::new(&format!("(?i)^(?:{})$", alts.join("|")))
        .map_err(|e| Error::invalid(format!("pattern {p:?}: {e}")))
}

fn run(
    store: &dyn CatalogStore,
    handle: &tokio::runtime::Handle,
    s: &mut Session,
    st: &Statement,
) -> R<StatementResult> {
    match st {
        Statement::CreateDatabase {
            name,
            if_not_exists,
            comment,
            location,
            properties,
        } => {
            let n = db_name(name)?;
            if store.get_database(&n).is_ok() {
                if *if_not_exists {
                    return Ok(unchanged(st, format!("database {n} exists")));
                }
                return Err(Error::already_exists(format!(
                    "database {n} already exists"
                )));
            }
            let mut d = Database::new(n);
            d.description = comment.clone();
            d.location_uri = location.clone();
            d.parameters = properties.iter().cloned().collect();
            store.create_database(d)?;
            Ok(ok(st))
        }
        Statement::DropDatabase {
            name,
            if_exists,
            cascade,
        } => {
            let n = db_name(name)?;
            match store.delete_database(&n, *cascade) {
                Err(e) if e.kind == ErrorKind::NotFound && *if_exists => {
                    Ok(unchanged(st, format!("no database {n}")))
                }
                r => r.map(|_| ok(st)),
            }
        }
        Statement::Use { database } => {
            let n = db_name(database)?;
            store.get_database(&n)?;
            s.database = n.as_str().to_string();
            Ok(ok(st))
        }
        Statement::CreateTable(ct) => {
            let id = ident(s, &ct.name)?;
            if store.get_table(&id).is_ok() {
                if ct.if_not_exists {
                    return Ok(unchanged(st, format!("table {id} exists")));
                }
                return Err(Error::already_exists(format!("table {id} already exists")));
            }
            // Like Athena's and Hive's, the `default` database always exists: it is
            // created with the first table put in it (after the table is checked).
            let (db, missing_default) = match store.get_database(&id.database) {
                Ok(d) => (d, false),
                Err(e) if e.kind == ErrorKind::NotFound && id.database.as_str() == "default" => {
                    (Database::new(id.database.clone()), true)
                }
                Err(e) => return Err(e),
            };
            let table = table_of(ct, &id, &db)?;
            table.clone().normalize()?;
            if missing_default {
                store.create_database(db)?;
            }
            store.create_table(&id.database, table)?;
            Ok(ok(st))
        }
        Statement::DropTable { name, if_exists } => {
            let id = ident(s, name)?;
            match store.delete_table(&id) {
                Err(e) if e.kind == ErrorKind::NotFound && *if_exists => {
                    Ok(unchanged(st, format!("no table {id}")))
                }
                r => r.map(|_| ok(st)),
            }
        }
        Statement::AddPartitions {
            table,
            if_not_exists,
            partitions,
        } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            let mut parts = Vec::new();
            for (spec, loc) in partitions {
                let values = values_of(&t, spec, false)?;
                if !if_not_exists && store.get_partition(&id, &values).is_ok() {
                    return Err(Error::already_exists(format!(
                        "partition {} of table {id} already exists",
                        partition_name(&t, &values)
                    )));
                }
                // Hive's default: <table location>/k=v/…/ (none if the table has none).
                let location = match loc {
                    Some(l) => Some(l.clone()),
                    None => table_location(&t).ok().map(|tl| {
                        format!(
                            "{}/{}/",
                            tl.trim_end_matches('/'),
                            partition_name(&t, &values)
                        )
                    }),
                };
                parts.push(partition_at(&t, values, location));
            }
            let errs = store.create_partitions(&id, parts, true)?;
            if let Some(e) = errs.into_iter().next() {
                return Err(e.error);
            }
            Ok(ok(st))
        }
        Statement::DropPartitions {
            table,
            if_exists,
            partitions,
        } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            let mut values = Vec::new();
            for spec in partitions {
                let v = values_of(&t, spec, false)?;
                if !if_exists && store.get_partition(&id, &v).is_err() {
                    return Err(Error::not_found(format!(
                        "partition {} of table {id} does not exist",
                        partition_name(&t, &v)
                    )));
                }
                values.push(v);
            }
            store.delete_partitions(&id, &values)?;
            Ok(ok(st))
        }
        Statement::SetLocation {
            table,
            partition,
            location,
        } => {
            let id = ident(s, table)?;
            let mut t = store.get_table(&id)?;
            match partition {
                None => {
                    t.storage_descriptor
                        .get_or_insert_with(Default::default)
                        .location = Some(location.clone());
                    update(store, &id, t)?;
                }
                Some(spec) => {
                    let v = values_of(&t, spec, false)?;
                    let mut p = store.get_partition(&id, &v)?;
                    p.storage_descriptor
                        .get_or_insert_with(Default::default)
                        .location = Some(location.clone());
                    store.update_partition(&id, &v, p)?;
                }
            }
            Ok(ok(st))
        }
        Statement::SetTblProperties { table, properties } => {
            let id = ident(s, table)?;
            let mut t = store.get_table(&id)?;
            t.parameters.extend(properties.iter().cloned());
            check_projection(&t)?;
            update(store, &id, t)?;
            Ok(ok(st))
        }
        Statement::AddColumns { table, columns } => {
            let id = ident(s, table)?;
            let mut t = store.get_table(&id)?;
            let sd = t.storage_descriptor.get_or_insert_with(Default::default);
            for c in columns {
                if sd.columns.iter().any(|x| x.name == c.name) {
                    return Err(Error::already_exists(format!(
                        "table {id} already has a column {}",
                        c.name
                    )));
                }
                sd.columns.push(column(c));
            }
            update(store, &id, t)?;
            Ok(ok(st))
        }
        Statement::ReplaceColumns { table, columns } => {
            let id = ident(s, table)?;
            let mut t = store.get_table(&id)?;
            t.storage_descriptor
                .get_or_insert_with(Default::default)
                .columns = columns.iter().map(column).collect();
            update(store, &id, t)?;
            Ok(ok(st))
        }
        Statement::RenamePartition { table, from, to } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            let old = values_of(&t, from, false)?;
            let new = values_of(&t, to, false)?;
            let mut p = store.get_partition(&id, &old)?;
            p.values = new;
            store.update_partition(&id, &old, p)?;
            Ok(ok(st))
        }
        Statement::RenameTable { table, to } => {
            let id = ident(s, table)?;
            let to = TableIdent::parse(
                to.database.as_deref().unwrap_or(id.database.as_str()),
                &to.name,
            )?;
            let mut t = store.get_table(&id)?;
            let expected = t.version_id;
            t.name = to.name;
            t.database_name = Some(to.database);
            let location = |d: &DatabaseName| Ok(store.get_database(d)?.location_uri);
            crate::services::rename::rename_table(store, &s.folders, &id, t, location, expected)?;
            Ok(ok(st))
        }
        Statement::RepairTable { table, mode } => {
            let id = ident(s, table)?;
            repair(store, handle, &id, *mode, st)
        }
        Statement::ShowDatabases { like } => {
            let re = like.as_deref().map(hive_pattern).transpose()?;
            let mut names: Vec<String> = all_databases(store)?
                .into_iter()
                .map(|d| d.name.as_str().to_string())
                .collect();
            names.retain(|n| re.as_ref().is_none_or(|r| r.is_match(n)));
            Ok(rows(
                st,
                &["database_name"],
                names.into_iter().map(|n| vec![n]).collect(),
            ))
        }
        Statement::ShowTables { database, pattern } => {
            let db = db_name(database.as_deref().unwrap_or(&s.database))?;
            let re = pattern.as_deref().map(hive_pattern).transpose()?;
            let names: Vec<String> = all_tables(store, &db, re.as_ref())?
                .into_iter()
                .map(|t| t.name.as_str().to_string())
                .collect();
            Ok(rows(
                st,
                &["tab_name"],
                names.into_iter().map(|n| vec![n]).collect(),
            ))
        }
        Statement::ShowPartitions { table, partition } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            if t.partition_keys.is_empty() {
                return Err(Error::invalid(format!("table {id} is not partitioned")));
            }
            let fixed = match partition {
                Some(spec) => values_of(&t, spec, true)?,
                None => vec![],
            };
            let list: Vec<Vec<String>> = all_partitions(store, &id)?
                .into_iter()
                .filter(|p| {
                    fixed
                        .iter()
                        .zip(&p.values)
                        .all(|(f, v)| f.is_empty() || f == v)
                })
                .map(|p| vec![partition_name(&t, &p.values)])
                .collect();
            let mut r = rows(st, &["partition"], list);
            if projected(&t) {
                r.message = Some(format!(
                    "partition projection is enabled for {id}: its partitions are computed from projection.* properties, and only partitions stored in the catalog are listed"
                ));
            }
            Ok(r)
        }
        Statement::ShowCreateTable { table } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            let text = show_create(&id, &t);
            Ok(rows(
                st,
                &["createtab_stmt"],
                text.lines().map(|l| vec![l.to_string()]).collect(),
            ))
        }
        Statement::ShowTblProperties { table, key } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            match key {
                Some(k) => match t.parameters.get(k) {
                    Some(v) => Ok(rows(st, &["value"], vec![vec![v.clone()]])),
                    None => Err(Error::not_found(format!(
                        "table {id} has no property {k:?}"
                    ))),
                },
                None => Ok(rows(
                    st,
                    &["prpt_name", "prpt_value"],
                    t.parameters
                        .iter()
                        .map(|(k, v)| vec![k.clone(), v.clone()])
                        .collect(),
                )),
            }
        }
        Statement::ShowColumns { table } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            Ok(rows(
                st,
                &["field"],
                t.columns()
                    .iter()
                    .chain(&t.partition_keys)
                    .map(|c| vec![c.name.clone()])
                    .collect(),
            ))
        }
        Statement::Describe {
            table,
            style,
            partition,
            column,
        } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            describe(
                store,
                &id,
                &t,
                *style,
                partition.as_ref(),
                column.as_deref(),
                st,
            )
        }
    }
}

fn update(store: &dyn CatalogStore, id: &TableIdent, t: Table) -> R<Table> {
    let opts = UpdateTableOptions {
        expected_version: t.version_id,
        skip_archive: false,
        ..Default::default()
    };
    store.update_table(id, t, opts)
}

fn column(c: &ColumnDef) -> Column {
    let mut col = Column::new(&c.name, &c.data_type);
    col.comment = c.comment.clone();
    col
}

fn table_location(t: &Table) -> R<&str> {
    t.storage_descriptor
        .as_ref()
        .and_then(|sd| sd.location.as_deref())
        .ok_or_else(|| Error::invalid(format!("table {} has no location", t.name)))
}

/// Hive's partition name: `k=v/k2=v2`, values escaped as Hive escapes path names.
pub fn partition_name(t: &Table, values: &[String]) -> String {
    t.partition_keys
        .iter()
        .zip(values)
        .map(|(k, v)| format!("{}={}", k.name, escape_path(v)))
        .collect::<Vec<_>>()
        .join("/")
}

/// The characters Hive's `FileUtils.escapePathName` escapes.
fn escape_path(v: &str) -> String {
    let mut out = String::new();
    for c in v.chars() {
        if (c as u32) < 0x20 || "\"#%'*/:=?\\\u{7f}{[]^".contains(c) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Checks a value against its key's type (Hive rejects `hour='x'` for an int key).
fn check_value(key: &Column, v: &str) -> R<()> {
    if v == HIVE_NULL_PARTITION {
        return Ok(());
    }
    let ty = HiveType::parse(&key.type_).map_err(|e| Error::invalid(e.to_string()))?;
    let ok = match ty {
        HiveType::TinyInt => v.parse::<i8>().is_ok(),
        HiveType::SmallInt => v.parse::<i16>().is_ok(),
        HiveType::Int => v.parse::<i32>().is_ok(),
        HiveType::BigInt => v.parse::<i64>().is_ok(),
        HiveType::Float | HiveType::Double => v.parse::<f64>().is_ok(),
        HiveType::Decimal { .. } => {
            let u = v.strip_prefix('-').unwrap_or(v);
            let (i, f) = u.split_once('.').unwrap_or((u, ""));
            !u.is_empty()
                && i.bytes().all(|b| b.is_ascii_digit())
                && f.bytes().all(|b| b.is_ascii_digit())
        }
        HiveType::Boolean => matches!(v.to_lowercase().as_str(), "true" | "false"),
        HiveType::Date => {
            lakecat_crawler::infer::text::cell_type(v)
                == lakecat_crawler::infer::text::CellType::Date
        }
        HiveType::Timestamp => matches!(
            lakecat_crawler::infer::text::cell_type(v),
            lakecat_crawler::infer::text::CellType::Timestamp
                | lakecat_crawler::infer::text::CellType::Date
        ),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "partition value {v:?} is not a valid {} for key {}",
            key.type_, key.name
        )))
    }
}

/// The values of a spec in key order. `partial` allows a prefix or subset of the
/// keys (unnamed ones come back empty).
fn values_of(t: &Table, spec: &PartitionSpec, partial: bool) -> R<Vec<String>> {
    if t.partition_keys.is_empty() {
        return Err(Error::invalid(format!(
            "table {} is not partitioned",
            t.name
        )));
    }
    let mut out = vec![String::new(); t.partition_keys.len()];
    let mut seen = vec![false; t.partition_keys.len()];
    for (k, v) in spec {
        let Some(i) = t.partition_keys.iter().position(|c| c.name == *k) else {
            return Err(Error::invalid(format!(
                "{k} is not a partition key of table {} (its keys are {})",
                t.name,
                t.partition_keys
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        if seen[i] {
            return Err(Error::invalid(format!("partition key {k} is given twice")));
        }
        check_value(&t.partition_keys[i], v)?;
        seen[i] = true;
        out[i] = v.clone();
    }
    if !partial {
        if let Some(i) = seen.iter().position(|s| !s) {
            return Err(Error::invalid(format!(
                "the partition spec has no value for key {}",
                t.partition_keys[i].name
            )));
        }
    }
    Ok(out)
}

/// A partition stored like the table, at `location`.
fn partition_at(t: &Table, values: Vec<String>, location: Option<String>) -> Partition {
    let mut p = Partition::new(values);
    let mut sd = t.storage_descriptor.clone().unwrap_or_default();
    sd.location = location;
    p.storage_descriptor = Some(sd);
    p
}

fn projected(t: &Table) -> bool {
    t.parameters
        .get("projection.enabled")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Athena's partition projection properties, checked when set.
fn check_projection(t: &Table) -> R<()> {
    let p = &t.parameters;
    for (k, _) in p.iter().filter(|(k, _)| k.starts_with("projection.")) {
        let rest = &k["projection.".len()..];
        if rest == "enabled" {
            continue;
        }
        let col = rest.split('.').next().unwrap_or("");
        if !t.partition_keys.iter().any(|c| c.name == col) {
            return Err(Error::invalid(format!(
                "{k}: {col} is not a partition key of table {}",
                t.name
            )));
        }
    }
    if let Some(v) = p.get("projection.enabled") {
        if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") {
            return Err(Error::invalid(format!(
                "projection.enabled must be true or false, not {v:?}"
            )));
        }
    }
    if !projected(t) {
        return Ok(());
    }
    for key in &t.partition_keys {
        let get = |s: &str| p.get(&format!("projection.{}.{s}", key.name));
        let ty = get("type").ok_or_else(|| {
            Error::invalid(format!(
                "projection.{}.type is required when projection is enabled",
                key.name
            ))
        })?;
        let need = |s: &str| -> R<()> {
            if get(s).is_none() {
                return Err(Error::invalid(format!(
                    "projection.{}.{s} is required for projection type {ty}",
                    key.name
                )));
            }
            Ok(())
        };
        match ty.as_str() {
            "enum" => need("values")?,
            "integer" => {
                need("range")?;
                let r = get("range").map(String::as_str).unwrap_or("");
                let ok = r.split_once(',').is_some_and(|(a, b)| {
                    a.trim().parse::<i64>().is_ok() && b.trim().parse::<i64>().is_ok()
                });
                if !ok {
                    return Err(Error::invalid(format!(
                        "projection.{}.range must be \"min,max\" integers, not {r:?}",
                        key.name
                    )));
                }
            }
            "date" => {
                need("range")?;
                need("format")?;
                let r = get("range").map(String::as_str).unwrap_or("");
                if r.split(',').count() != 2 {
                    return Err(Error::invalid(format!(
                        "projection.{}.range must be \"start,end\", not {r:?}",
                        key.name
                    )));
                }
            }
            "injected" => {}
            other => {
                return Err(Error::invalid(format!(
                    "projection.{}.type {other:?} is not one of enum, integer, date, injected",
                    key.name
                )))
            }
        }
    }
    if let Some(tpl) = p.get("storage.location.template") {
        for key in &t.partition_keys {
            if !tpl.contains(&format!("${{{}}}", key.name)) {
                return Err(Error::invalid(format!(
                    "storage.location.template {tpl:?} does not use ${{{}}}",
                    key.name
                )));
            }
        }
    }
    Ok(())
}

/// SerDe and formats of `STORED AS …` (Hive's and Athena's classes).
fn stored_as(format: &str) -> (&'static str, &'static str, &'static str) {
    match format {
        "PARQUET" => (
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        ),
        "ORC" => (
            "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
            "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
            "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
        ),
        "AVRO" => (
            "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
            "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
            "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
        ),
        "JSON" => ("org.apache.hive.hcatalog.data.JsonSerDe", TEXT_IN, TEXT_OUT),
        "ION" => (
            "com.amazon.ionhiveserde.IonHiveSerDe",
            "com.amazon.ionhiveserde.formats.IonInputFormat",
            "com.amazon.ionhiveserde.formats.IonOutputFormat",
        ),
        "SEQUENCEFILE" => (
            LAZY_SIMPLE,
            "org.apache.hadoop.mapred.SequenceFileInputFormat",
            "org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat",
        ),
        "RCFILE" => (
            "org.apache.hadoop.hive.serde2.columnar.LazyBinaryColumnarSerDe",
            "org.apache.hadoop.hive.ql.io.RCFileInputFormat",
            "org.apache.hadoop.hive.ql.io.RCFileOutputFormat",
        ),
        _ => (LAZY_SIMPLE, TEXT_IN, TEXT_OUT),
    }
}

fn table_of(ct: &CreateTable, id: &TableIdent, db: &Database) -> R<Table> {
    let mut t = Table::new(id.name.clone());
    t.table_type = Some(if ct.external {
        TableType::ExternalTable
    } else {
        TableType::ManagedTable
    });
    t.description = ct.comment.clone();
    t.parameters = ct.properties.iter().cloned().collect();
    if ct.external {
        t.parameters.insert("EXTERNAL".into(), "TRUE".into());
    }
    t.partition_keys = ct.partitioned_by.iter().map(column).collect();
    let format = match &ct.stored_as {
        Some(StoredAs::Format(f)) => f.as_str(),
        _ => "TEXTFILE",
    };
    let (serde, input, output) = stored_as(format);
    let (mut input, mut output) = (input.to_string(), output.to_string());
    let mut serde_lib = serde.to_string();
    if let Some(StoredAs::InputOutput {
        input: i,
        output: o,
    }) = &ct.stored_as
    {
        // The classes as written; the SerDe follows from ROW FORMAT (default text).
        input = i.clone();
        output = o.clone();
        serde_lib = LAZY_SIMPLE.into();
    }
    let mut serde_params = Parameters::new();
    match &ct.row_format {
        Some(RowFormat::Serde { class, properties }) => {
            serde_lib = class.clone();
            serde_params.extend(properties.iter().cloned());
        }
        Some(RowFormat::Delimited {
            fields_terminated_by,
            escaped_by,
            collection_items_terminated_by,
            map_keys_terminated_by,
            lines_terminated_by,
            null_defined_as,
        }) => {
            serde_lib = LAZY_SIMPLE.into();
            let mut set = |k: &str, v: &Option<String>| {
                if let Some(v) = v {
                    serde_params.insert(k.into(), v.clone());
                }
            };
            set("field.delim", fields_terminated_by);
            set("serialization.format", fields_terminated_by);
            set("escape.delim", escaped_by);
            set("collection.delim", collection_items_terminated_by);
            set("mapkey.delim", map_keys_terminated_by);
            set("line.delim", lines_terminated_by);
            set("serialization.null.format", null_defined_as);
        }
        None => {
            if serde_lib == LAZY_SIMPLE || serde_lib.ends_with("ParquetHiveSerDe") {
                serde_params.insert("serialization.format".into(), "1".into());
            }
        }
    }
    let location = match &ct.location {
        Some(l) => Some(l.clone()),
        None if !ct.external => db
            .location_uri
            .as_ref()
            .map(|d| managed_table_folder(d, id.name.as_str())),
        None => None,
    };
    let (bucket_columns, sort_columns, buckets) = match &ct.clustered_by {
        Some(b) => (
            b.columns.clone(),
            b.sorted_by
                .iter()
                .map(|(c, asc)| Order {
                    column: c.clone(),
                    sort_order: i32::from(*asc),
                })
                .collect(),
            b.buckets as i32,
        ),
        None => (vec![], vec![], -1),
    };
    t.storage_descriptor = Some(StorageDescriptor {
        columns: ct.columns.iter().map(column).collect(),
        location,
        input_format: Some(input),
        output_format: Some(output),
        compressed: false,
        number_of_buckets: Some(buckets),
        serde_info: Some(SerDeInfo {
            name: None,
            serialization_library: Some(serde_lib),
            parameters: serde_params,
        }),
        bucket_columns,
        sort_columns,
        ..Default::default()
    });
    for b in &t
        .storage_descriptor
        .as_ref()
        .map(|s| s.bucket_columns.clone())
        .unwrap_or_default()
    {
        if !ct.columns.iter().any(|c| &c.name == b) {
            return Err(Error::invalid(format!(
                "bucket column {b} is not a column of the table"
            )));
        }
    }
    check_projection(&t)?;
    Ok(t)
}

/// A Hive string literal: single quotes, with `\` escapes for what needs them.
fn lit(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn quote_ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

fn cols_ddl(cols: &[Column]) -> String {
    cols.iter()
        .map(|c| {
            let mut s = format!("  {} {}", quote_ident(&c.name), c.type_);
            if let Some(cm) = &c.comment {
                s.push_str(&format!(" COMMENT {}", lit(cm)));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(",\n")
}

/// DDL that recreates the table exactly (SerDe, formats and properties spelled out).
pub fn show_create(id: &TableIdent, t: &Table) -> String {
    let external = t.table_type == Some(TableType::ExternalTable);
    let mut s = format!(
        "CREATE {}TABLE {}.{}(\n{})\n",
        if external { "EXTERNAL " } else { "" },
        quote_ident(id.database.as_str()),
        quote_ident(id.name.as_str()),
        cols_ddl(t.columns())
    );
    if let Some(d) = &t.description {
        s.push_str(&format!("COMMENT {}\n", lit(d)));
    }
    if !t.partition_keys.is_empty() {
        s.push_str(&format!(
            "PARTITIONED BY (\n{})\n",
            cols_ddl(&t.partition_keys)
        ));
    }
    let sd = t.storage_descriptor.clone().unwrap_or_default();
    if !sd.bucket_columns.is_empty() {
        s.push_str(&format!(
            "CLUSTERED BY ({})",
            sd.bucket_columns
                .iter()
                .map(|c| quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if !sd.sort_columns.is_empty() {
            s.push_str(&format!(
                " SORTED BY ({})",
                sd.sort_columns
                    .iter()
                    .map(|o| format!(
                        "{} {}",
                        quote_ident(&o.column),
                        if o.sort_order == 1 { "ASC" } else { "DESC" }
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        s.push_str(&format!(
            " INTO {} BUCKETS\n",
            sd.number_of_buckets.unwrap_or(1)
        ));
    }
    let serde = sd.serde_info.clone().unwrap_or_default();
    s.push_str(&format!(
        "ROW FORMAT SERDE\n  {}\n",
        lit(serde
            .serialization_library
            .as_deref()
            .unwrap_or(LAZY_SIMPLE))
    ));
    if !serde.parameters.is_empty() {
        s.push_str(&format!(
            "WITH SERDEPROPERTIES (\n{})\n",
            serde
                .parameters
                .iter()
                .map(|(k, v)| format!("  {}={}", lit(k), lit(v)))
                .collect::<Vec<_>>()
                .join(",\n")
        ));
    }
    s.push_str(&format!(
        "STORED AS INPUTFORMAT\n  {}\nOUTPUTFORMAT\n  {}\n",
        lit(sd.input_format.as_deref().unwrap_or(TEXT_IN)),
        lit(sd.output_format.as_deref().unwrap_or(TEXT_OUT))
    ));
    if let Some(l) = &sd.location {
        s.push_str(&format!("LOCATION\n  {}\n", lit(l)));
    }
    let props: Vec<_> = t
        .parameters
        .iter()
        .filter(|(k, _)| !(external && k.as_str() == "EXTERNAL"))
        .collect();
    if !props.is_empty() {
        s.push_str(&format!(
            "TBLPROPERTIES (\n{})",
            props
                .iter()
                .map(|(k, v)| format!("  {}={}", lit(k), lit(v)))
                .collect::<Vec<_>>()
                .join(",\n")
        ));
    }
    s.trim_end().to_string()
}

fn describe(
    store: &dyn CatalogStore,
    id: &TableIdent,
    t: &Table,
    style: DescribeStyle,
    partition: Option<&PartitionSpec>,
    column: Option<&str>,
    st: &Statement,
) -> R<StatementResult> {
    let row = |c: &Column| {
        vec![
            c.name.clone(),
            c.type_.clone(),
            c.comment.clone().unwrap_or_default(),
        ]
    };
    let heads = ["col_name", "data_type", "comment"];
    if let Some(c) = column {
        let col = t
            .columns()
            .iter()
            .chain(&t.partition_keys)
            .find(|x| x.name == c.to_lowercase())
            .ok_or_else(|| Error::not_found(format!("table {id} has no column {c}")))?;
        return Ok(rows(st, &heads, vec![row(col)]));
    }
    let mut out: Vec<Vec<String>> = t
        .columns()
        .iter()
        .chain(&t.partition_keys)
        .map(row)
        .collect();
    if !t.partition_keys.is_empty() {
        out.push(vec![String::new(), String::new(), String::new()]);
        out.push(vec![
            "# Partition Information".into(),
            String::new(),
            String::new(),
        ]);
        out.push(vec![
            "# col_name".into(),
            "data_type".into(),
            "comment".into(),
        ]);
        out.extend(t.partition_keys.iter().map(row));
    }
    let part = match partition {
        Some(spec) => {
            let v = values_of(t, spec, false)?;
            Some(store.get_partition(id, &v)?)
        }
        None => None,
    };
    let kv = |k: &str, v: String| vec![k.to_string(), v, String::new()];
    match style {
        DescribeStyle::Plain => {}
        DescribeStyle::Extended => {
            out.push(vec![String::new(), String::new(), String::new()]);
            let detail = match &part {
                Some(p) => format!("{p:?}"),
                None => format!("{t:?}"),
            };
            out.push(vec![
                if part.is_some() {
                    "Detailed Partition Information"
                } else {
                    "Detailed Table Information"
                }
                .into(),
                detail,
                String::new(),
            ]);
        }
        DescribeStyle::Formatted => {
            let sd = part
                .as_ref()
                .and_then(|p| p.storage_descriptor.clone())
                .or_else(|| t.storage_descriptor.clone())
                .unwrap_or_default();
            out.push(vec![String::new(), String::new(), String::new()]);
            if let Some(p) = &part {
                out.push(kv("# Detailed Partition Information", String::new()));
                out.push(kv("Partition Value:", format!("[{}]", p.values.join(", "))));
                out.push(kv("Database:", id.database.as_str().into()));
                out.push(kv("Table:", id.name.as_str().into()));
                out.push(kv("CreateTime:", p.create_time.to_string()));
                out.push(kv("Location:", sd.location.clone().unwrap_or_default()));
            } else {
                out.push(kv("# Detailed Table Information", String::new()));
                out.push(kv("Database:", id.database.as_str().into()));
                out.push(kv("Owner:", t.owner.clone().unwrap_or_default()));
                out.push(kv("CreateTime:", t.create_time.to_string()));
                out.push(kv("Location:", sd.location.clone().unwrap_or_default()));
                out.push(kv(
                    "Table Type:",
                    t.table_type
                        .map(|x| x.as_str().to_string())
                        .unwrap_or_default(),
                ));
                out.push(kv("Table Parameters:", String::new()));
                for (k, v) in &t.parameters {
                    out.push(vec![String::new(), k.clone(), v.clone()]);
                }
            }
            out.push(vec![String::new(), String::new(), String::new()]);
            out.push(kv("# Storage Information", String::new()));
            let serde = sd.serde_info.clone().unwrap_or_default();
            out.push(kv(
                "SerDe Library:",
                serde.serialization_library.unwrap_or_default(),
            ));
            out.push(kv(
                "InputFormat:",
                sd.input_format.clone().unwrap_or_default(),
            ));
            out.push(kv(
                "OutputFormat:",
                sd.output_format.clone().unwrap_or_default(),
            ));
            out.push(kv(
                "Compressed:",
                if sd.compressed { "Yes" } else { "No" }.into(),
            ));
            out.push(kv(
                "Num Buckets:",
                sd.number_of_buckets.unwrap_or(-1).to_string(),
            ));
            out.push(kv(
                "Bucket Columns:",
                format!("[{}]", sd.bucket_columns.join(", ")),
            ));
            out.push(kv(
                "Sort Columns:",
                format!(
                    "[{}]",
                    sd.sort_columns
                        .iter()
                        .map(|o| format!("Order(col:{}, order:{})", o.column, o.sort_order))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
            out.push(kv("Storage Desc Params:", String::new()));
            for (k, v) in &serde.parameters {
                out.push(vec![String::new(), k.clone(), v.clone()]);
            }
        }
    }
    Ok(rows(st, &heads, out))
}

/// `MSCK REPAIR TABLE`: lists the table's location and adds the `k=v/…` folders
/// (holding at least one data file) that are not partitions yet, in atomic batches
/// of 1,000; DROP and SYNC also remove partitions whose folder holds no data.
fn repair(
    store: &dyn CatalogStore,
    handle: &tokio::runtime::Handle,
    id: &TableIdent,
    mode: RepairMode,
    st: &Statement,
) -> R<StatementResult> {
    let t = store.get_table(id)?;
    if t.partition_keys.is_empty() {
        return Err(Error::invalid(format!("table {id} is not partitioned")));
    }
    let location = table_location(&t)?.to_string();
    let (root, files) = handle
        .block_on(lakecat_crawler::crawl::list_objects(&location))
        .map_err(|e| Error::invalid(format!("listing {location}: {e}")))?;
    let keys: Vec<&str> = t.partition_keys.iter().map(|c| c.name.as_str()).collect();
    let mut found: std::collections::BTreeMap<Vec<String>, String> = Default::default();
    let mut skipped = 0usize;
    for (rel, _) in &files {
        let parts: Vec<&str> = rel.split('/').collect();
        if parts.len() <= keys.len() {
            skipped += 1;
            continue;
        }
        let mut values = Vec::with_capacity(keys.len());
        let mut good = true;
        for (part, key) in parts.iter().zip(&keys) {
            match part.split_once('=') {
                Some((k, v)) if k.eq_ignore_ascii_case(key) => values.push(
                    percent_encoding::percent_decode_str(v)
                        .decode_utf8_lossy()
                        .into_owned(),
                ),
                _ => {
                    good = false;
                    break;
                }
            }
        }
        let ok_types = good
            && values
                .iter()
                .zip(&t.partition_keys)
                .all(|(v, k)| check_value(k, v).is_ok());
        if ok_types {
            let dir = parts[..keys.len()].join("/");
            found.entry(values).or_insert(format!("{root}{dir}/"));
        } else {
            skipped += 1;
        }
    }
    let existing = all_partitions(store, id)?;
    let have: std::collections::BTreeSet<Vec<String>> =
        existing.iter().map(|p| p.values.clone()).collect();
    let mut report = Vec::new();
    if mode != RepairMode::Drop {
        let new: Vec<Partition> = found
            .iter()
            .filter(|(v, _)| !have.contains(*v))
            .map(|(v, loc)| partition_at(&t, v.clone(), Some(loc.clone())))
            .collect();
        for chunk in new.chunks(1000) {
            let errs = store.create_partitions(id, chunk.to_vec(), true)?;
            if let Some(e) = errs.into_iter().next() {
                return Err(e.error);
            }
            report.extend(
                chunk
                    .iter()
                    .map(|p| vec!["added".to_string(), partition_name(&t, &p.values)]),
            );
        }
    }
    if mode != RepairMode::Add {
        let gone: Vec<Vec<String>> = existing
            .iter()
            .filter(|p| !found.contains_key(&p.values))
            .map(|p| p.values.clone())
            .collect();
        for chunk in gone.chunks(1000) {
            store.delete_partitions(id, chunk)?;
            report.extend(
                chunk
                    .iter()
                    .map(|v| vec!["removed".to_string(), partition_name(&t, v)]),
            );
        }
    }
    let mut r = rows(st, &["action", "partition"], report);
    if skipped > 0 {
        r.message = Some(format!(
            "{skipped} files under {location} are not in key=value folders matching the partition keys ({})",
            keys.join(", ")
        ));
    }
    Ok(r)
}
