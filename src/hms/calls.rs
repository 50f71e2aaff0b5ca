//! The Hive Metastore calls lakecat serves, over the catalog store.
//!
//! Each call decodes its arguments by field id, runs against the store and answers
//! a result struct: field 0 on success, or the exception in the slot the method
//! declares (slots differ per method; clients tell the exception's type by its slot).

use super::convert::*;
use super::locks::Locks;
use super::thrift::{TStruct, TValue, T_STRUCT};
use crate::services::folders::{local_path as file_dir, Folders};
use crate::services::rename::rename_table;
use lakecat_catalog_api::filter::{Dialect, FilterExpr};
use lakecat_catalog_api::model::{Database, Partition, Table, TableType};
use lakecat_catalog_api::store::{
    all_databases, all_tables, managed_table_folder, CatalogStore, PageRequest, UpdateTableOptions,
};
use lakecat_catalog_api::{DatabaseName, Error, ErrorKind, Result, TableIdent};
use std::sync::Arc;

/// Hive's exception types, for choosing a method's slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ex {
    NoSuchObject,
    AlreadyExists,
    InvalidObject,
    InvalidOperation,
    Meta,
    UnknownDb,
    UnknownTable,
    ConfigSecurity,
    NoSuchLock,
    InvalidInput,
}

pub struct Ctx {
    pub store: Arc<dyn CatalogStore>,
    pub locks: Arc<Locks>,
    /// Where `default` and managed tables without a location live, and which
    /// folders calls may create, move and delete.
    pub folders: Arc<Folders>,
    pub started: i64,
}

/// What a call answers.
pub enum Answer {
    /// The result struct.
    Reply(TStruct),
    /// A TApplicationException (message, type).
    Application(String, i32),
    /// Nothing (oneway calls).
    None,
}

fn ok(v: TValue) -> Answer {
    Answer::Reply(TStruct::new().with(0, v))
}

fn void() -> Answer {
    Answer::Reply(TStruct::new())
}

/// The exception struct for `e` in the best slot of `slots` (id, type).
fn fail(e: &Error, slots: &[(i16, Ex)]) -> Answer {
    let wanted: &[Ex] = match e.kind {
        ErrorKind::NotFound => &[
            Ex::NoSuchObject,
            Ex::UnknownTable,
            Ex::UnknownDb,
            Ex::NoSuchLock,
        ],
        ErrorKind::AlreadyExists => &[Ex::AlreadyExists],
        ErrorKind::InvalidInput | ErrorKind::LimitExceeded | ErrorKind::TooLarge => {
            &[Ex::InvalidInput, Ex::InvalidObject, Ex::InvalidOperation]
        }
        ErrorKind::Conflict => &[Ex::InvalidOperation],
        ErrorKind::Storage => &[],
    };
    let slot = wanted
        .iter()
        .find_map(|w| slots.iter().find(|(_, ex)| ex == w))
        .or_else(|| slots.iter().find(|(_, ex)| *ex == Ex::Meta));
    match slot {
        Some((id, _)) => Answer::Reply(TStruct::new().with(
            *id,
            TValue::Struct(TStruct::new().with_str(1, e.message.clone())),
        )),
        None => Answer::Application(e.message.clone(), super::thrift::INTERNAL_ERROR),
    }
}

fn arg_str(a: &TStruct, id: i16, what: &str) -> Result<String> {
    a.str(id)
        .ok_or_else(|| Error::invalid(format!("argument {what} is missing")))
}

fn db(a: &TStruct, id: i16) -> Result<DatabaseName> {
    DatabaseName::new(&arg_str(a, id, "db_name")?)
}

fn tid(a: &TStruct, d: i16, t: i16) -> Result<TableIdent> {
    TableIdent::parse(&arg_str(a, d, "db_name")?, &arg_str(a, t, "tbl_name")?)
}

/// `max_parts` (i16 in Hive 2.3, i32 later): negative means all.
fn limit(a: &TStruct, id: i16) -> usize {
    match a.int(id) {
        Some(n) if n >= 0 => n as usize,
        _ => usize::MAX,
    }
}

/// Hive's filter text in the Glue grammar: Hive quotes strings with `"` or `'`.
pub fn hive_filter(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                let quote = c;
                out.push('\'');
                while let Some(x) = chars.next() {
                    match x {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                if n == '\'' {
                                    out.push_str("''");
                                } else {
                                    out.push(n);
                                }
                            }
                        }
                        x if x == quote => break,
                        '\'' => out.push_str("''"),
                        x => out.push(x),
                    }
                }
                out.push('\'');
            }
            c => out.push(c),
        }
    }
    out
}

/// A `get_partitions_by_filter` filter, with the Hive Metastore's meaning of
/// `like` (a regular expression; see `lakecat_catalog_api::filter`).
fn parse_hive_filter(text: &str) -> Result<Option<FilterExpr>> {
    FilterExpr::parse_as(&hive_filter(text), Dialect::Hive)
}

/// The filter of a `*_ps` call: the given values fix their keys; `''` is a wildcard.
fn ps_filter(table: &Table, vals: &[String]) -> Result<Option<FilterExpr>> {
    if vals.len() > table.partition_keys.len() {
        return Err(Error::invalid(format!(
            "{} partition values for {} keys",
            vals.len(),
            table.partition_keys.len()
        )));
    }
    let parts: Vec<String> = table
        .partition_keys
        .iter()
        .zip(vals)
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("`{}` = '{}'", k.name, v.replace('\'', "''")))
        .collect();
    if parts.is_empty() {
        return Ok(None);
    }
    FilterExpr::parse(&parts.join(" AND "))
}

/// Partitions (at most `max`); with `names_only`, only their values are read.
fn partitions_of(
    ctx: &Ctx,
    id: &TableIdent,
    filter: Option<&FilterExpr>,
    max: usize,
    names_only: bool,
) -> Result<(Table, Vec<Partition>)> {
    let t = ctx.store.get_table(id)?;
    let mut out = Vec::new();
    let mut page = PageRequest::first(1000);
    while out.len() < max {
        let p = ctx
            .store
            .list_partitions_with(id, filter, &page, names_only)?;
        out.extend(p.items);
        match p.next_token {
            Some(tok) => page.token = Some(tok),
            None => break,
        }
    }
    out.truncate(max);
    Ok((t, out))
}

fn partitions(
    ctx: &Ctx,
    id: &TableIdent,
    filter: Option<&FilterExpr>,
    max: usize,
) -> Result<(Table, Vec<Partition>)> {
    partitions_of(ctx, id, filter, max, false)
}

fn partition_list(t: &Table, parts: &[Partition]) -> TValue {
    TValue::struct_list(parts.iter().map(|p| partition(p, t)))
}

fn names_list(t: &Table, parts: &[Partition]) -> TValue {
    TValue::str_list(
        parts
            .iter()
            .map(|p| partition_name(&t.partition_keys, &p.values)),
    )
}

/// Hive's table-not-found message (`db.t table not found`).
fn no_table(id: &TableIdent) -> impl Fn(Error) -> Error + '_ {
    move |e| {
        if e.kind == ErrorKind::NotFound && e.message.starts_with("table ") {
            Error::not_found(format!("{}.{} table not found", id.database, id.name))
        } else {
            e
        }
    }
}

impl Ctx {
    fn database_location(&self, d: &DatabaseName) -> Result<String> {
        let db = self.store.get_database(d)?;
        Ok(match db.location_uri {
            Some(l) => l,
            None => format!("file:{}/{}.db", self.folders.warehouse().display(), d),
        })
    }

    /// A managed table without a location gets `<database location>/<table>`, and
    /// for local paths the folder is created, as Hive does.
    fn place(&self, d: &DatabaseName, t: &mut Table) -> Result<()> {
        let managed = t.table_type == Some(TableType::ManagedTable);
        let sd = t.storage_descriptor.get_or_insert_with(Default::default);
        if sd.location.is_none() && managed {
            let base = self.database_location(d)?;
            sd.location = Some(managed_table_folder(&base, t.name.as_str()));
        }
        if let (true, Some(loc)) = (managed, sd.location.as_deref()) {
            if let Some(dir) = file_dir(loc) {
                self.folders.create(loc, &dir)?;
            }
        }
        Ok(())
    }

    fn create_table(&self, a: &TStruct) -> Result<()> {
        let s = a
            .strct(1)
            .ok_or_else(|| Error::invalid("argument tbl is missing"))?;
        let d = DatabaseName::new(&s.str(2).unwrap_or_default())?;
        let mut t = table_of(s)?;
        self.place(&d, &mut t)?;
        self.store.create_table(&d, t).map(|_| ())
    }

    fn drop_table(&self, a: &TStruct) -> Result<()> {
        let id = tid(a, 1, 2)?;
        let t = self.store.get_table(&id).map_err(no_table(&id))?;
        self.store.delete_table(&id)?;
        // deleteData: a managed table's local folder goes with it, as in Hive.
        // Only where lakecat may delete (see crate::services::folders).
        if a.bool(3).unwrap_or(true) && t.table_type == Some(TableType::ManagedTable) {
            if let Some(loc) = t
                .storage_descriptor
                .as_ref()
                .and_then(|sd| sd.location.as_deref())
            {
                if let Some(dir) = file_dir(loc) {
                    self.folders.delete(loc, &dir);
                }
            }
        }
        Ok(())
    }

    fn alter_table(&self, a: &TStruct) -> Result<()> {
        let id = tid(a, 1, 2)?;
        let s = a
            .strct(3)
            .ok_or_else(|| Error::invalid("argument new_tbl is missing"))?;
        let mut t = table_of(s)?;
        let to_db = match s.str(2).filter(|d| !d.is_empty()) {
            Some(d) => DatabaseName::new(&d)?,
            None => id.database.clone(),
        };
        let cur = self.store.get_table(&id).map_err(no_table(&id))?;
        t.create_time = cur.create_time;
        if t.name != id.name || to_db != id.database {
            t.database_name = Some(to_db);
            let location = |d: &DatabaseName| self.database_location(d).map(Some);
            return rename_table(&*self.store, &self.folders, &id, t, location, None).map(|_| ());
        }
        self.store
            .update_table(&id, t, UpdateTableOptions::default())
            .map(|_| ())
    }

    /// Stores a `ColumnStatistics` (table or partition level); invalid records
    /// refuse the whole call before anything is written, as Hive does.
    fn update_statistics(&self, cs: &TStruct) -> Result<()> {
        let desc = cs
            .strct(1)
            .ok_or_else(|| Error::invalid("ColumnStatistics has no statsDesc"))?;
        let id = tid(desc, 2, 3)?;
        let t = self.store.get_table(&id).map_err(no_table(&id))?;
        let vals = if desc.bool(1) == Some(false) {
            Some(values_of_name(
                &t.partition_keys,
                &desc
                    .str(4)
                    .ok_or_else(|| Error::invalid("partition statistics need partName"))?,
            )?)
        } else {
            None
        };
        let part = match &vals {
            Some(v) => Some(self.store.get_partition(&id, v)?),
            None => None,
        };
        let when = desc.int(5).unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
        let stats = cs
            .list(2)
            .iter()
            .filter_map(TValue::as_struct)
            .map(|o| {
                super::stats::of_obj(o, when).ok_or_else(|| {
                    Error::invalid(format!(
                        "statistics of column {} have no known statsData",
                        o.str(1).unwrap_or_default()
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let cols = lakecat_catalog_api::stats::columns_of(&t, part.as_ref());
        let (_, errors) = lakecat_catalog_api::stats::plan_statistics_update(cols, stats.clone())?;
        if let Some(e) = errors.into_iter().next() {
            return Err(e.error);
        }
        self.store
            .update_column_statistics(&id, vals.as_deref(), stats)
            .map(|_| ())
    }

    fn add_partitions(
        &self,
        parts: &[TValue],
        if_not_exists: bool,
    ) -> Result<Vec<(Table, Partition)>> {
        let mut by_table: Vec<(TableIdent, Vec<Partition>)> = Vec::new();
        for p in parts.iter().filter_map(TValue::as_struct) {
            let id =
                TableIdent::parse(&p.str(2).unwrap_or_default(), &p.str(3).unwrap_or_default())?;
            match by_table.iter_mut().find(|(i, _)| *i == id) {
                Some((_, v)) => v.push(partition_of(p)),
                None => by_table.push((id, vec![partition_of(p)])),
            }
        }
        let mut out = Vec::new();
        for (id, ps) in by_table {
            let t = self.store.get_table(&id).map_err(no_table(&id))?;
            let wanted: Vec<Vec<String>> = ps.iter().map(|p| p.values.clone()).collect();
            let errors = self.store.create_partitions(&id, ps, if_not_exists)?;
            if let Some(e) = errors.first() {
                return Err(e.error.clone());
            }
            for v in wanted {
                if let Ok(p) = self.store.get_partition(&id, &v) {
                    out.push((t.clone(), p));
                }
            }
        }
        Ok(out)
    }
}

/// Runs one call.
pub fn call(ctx: &Ctx, name: &str, a: &TStruct) -> Answer {
    use Ex::*;
    macro_rules! run {
        ($slots:expr, $body:expr) => {
            match (|| -> Result<Answer> { $body })() {
                Ok(answer) => answer,
                Err(e) => {
                    tracing::debug!(call = name, "refused: {}", e.message);
                    fail(&e, $slots)
                }
            }
        };
    }
    match name {
        // ---- fb303 and session
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
        "get_config_value" => run!(&[(1, ConfigSecurity)], {
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

        // ---- databases
        "create_database" => run!(&[(1, AlreadyExists), (2, InvalidObject), (3, Meta)], {
            let d = database_of(
                a.strct(1)
                    .ok_or_else(|| Error::invalid("argument database is missing"))?,
            )?;
            if let Some(loc) = d.location_uri.as_deref() {
                if let Some(dir) = file_dir(loc) {
                    ctx.folders.create(loc, &dir)?;
                }
            }
            ctx.store.create_database(d)?;
            Ok(void())
        }),
        "get_database" => run!(&[(1, NoSuchObject), (2, Meta)], {
            let d = ctx.store.get_database(&db(a, 1)?)?;
            Ok(ok(TValue::Struct(database(&d))))
        }),
        "drop_database" => run!(&[(1, NoSuchObject), (2, InvalidOperation), (3, Meta)], {
            ctx.store
                .delete_database(&db(a, 1)?, a.bool(3).unwrap_or(false))?;
            Ok(void())
        }),
        "alter_database" => run!(&[(1, Meta), (2, NoSuchObject)], {
            let name = db(a, 1)?;
            let mut d = database_of(
                a.strct(2)
                    .ok_or_else(|| Error::invalid("argument db is missing"))?,
            )?;
            d.name = name.clone();
            ctx.store.update_database(&name, d)?;
            Ok(void())
        }),
        "get_databases" | "get_all_databases" => run!(&[(1, Meta)], {
            let re = match a.str(1) {
                Some(p) if name == "get_databases" => Some(crate::services::sql::hive_pattern(&p)?),
                _ => None,
            };
            let names = all_databases(&*ctx.store)?
                .into_iter()
                .map(|d| d.name.as_str().to_string())
                .filter(|n| re.as_ref().is_none_or(|r| r.is_match(n)));
            Ok(ok(TValue::str_list(names)))
        }),

        // ---- tables
        "create_table" | "create_table_with_environment_context" => run!(
            &[
                (1, AlreadyExists),
                (2, InvalidObject),
                (3, Meta),
                (4, NoSuchObject)
            ],
            {
                ctx.create_table(a)?;
                Ok(void())
            }
        ),
        "get_table" => run!(&[(1, Meta), (2, NoSuchObject)], {
            let id = tid(a, 1, 2)?;
            let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
            Ok(ok(TValue::Struct(table(&t))))
        }),
        "get_table_req" => run!(&[(1, Meta), (2, NoSuchObject)], {
            let r = a
                .strct(1)
                .ok_or_else(|| Error::invalid("argument req is missing"))?;
            let id = tid(r, 1, 2)?;
            let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
            Ok(ok(TValue::Struct(
                TStruct::new().with(1, TValue::Struct(table(&t))),
            )))
        }),
        "get_table_objects_by_name" => run!(&[(1, Meta), (2, InvalidOperation), (3, UnknownDb)], {
            let d = db(a, 1)?;
            ctx.store.get_database(&d)?;
            let mut out = Vec::new();
            for n in a.strings(2) {
                if let Ok(id) = TableIdent::parse(d.as_str(), &n) {
                    if let Ok(t) = ctx.store.get_table(&id) {
                        out.push(table(&t));
                    }
                }
            }
            Ok(ok(TValue::struct_list(out)))
        }),
        "get_table_objects_by_name_req" => {
            run!(&[(1, Meta), (2, InvalidOperation), (3, UnknownDb)], {
                let r = a
                    .strct(1)
                    .ok_or_else(|| Error::invalid("argument req is missing"))?;
                let d = db(r, 1)?;
                let mut out = Vec::new();
                for n in r.strings(2) {
                    if let Ok(id) = TableIdent::parse(d.as_str(), &n) {
                        if let Ok(t) = ctx.store.get_table(&id) {
                            out.push(table(&t));
                        }
                    }
                }
                Ok(ok(TValue::Struct(
                    TStruct::new().with(1, TValue::struct_list(out)),
                )))
            })
        }
        "get_tables" | "get_all_tables" | "get_tables_by_type" => run!(&[(1, Meta)], {
            let d = db(a, 1)?;
            let re = match (name, a.str(2)) {
                ("get_all_tables", _) | (_, None) => None,
                (_, Some(p)) => Some(crate::services::sql::hive_pattern(&p)?),
            };
            let kind = if name == "get_tables_by_type" {
                a.str(3)
            } else {
                None
            };
            let names = all_tables(&*ctx.store, &d, None)?
                .into_iter()
                .filter(|t| {
                    kind.as_deref().is_none_or(|k| {
                        t.table_type.unwrap_or(TableType::ExternalTable).as_str() == k
                    })
                })
                .map(|t| t.name.as_str().to_string())
                .filter(|n| re.as_ref().is_none_or(|r| r.is_match(n)));
            Ok(ok(TValue::str_list(names)))
        }),
        "get_table_meta" => run!(&[(1, Meta)], {
            let dbs = crate::services::sql::hive_pattern(&a.str(1).unwrap_or_else(|| "*".into()))?;
            let tbls = crate::services::sql::hive_pattern(&a.str(2).unwrap_or_else(|| "*".into()))?;
            let types = a.strings(3);
            let mut out = Vec::new();
            for d in all_databases(&*ctx.store)? {
                if !dbs.is_match(d.name.as_str()) {
                    continue;
                }
                for t in all_tables(&*ctx.store, &d.name, None)? {
                    let ty = t.table_type.unwrap_or(TableType::ExternalTable).as_str();
                    if tbls.is_match(t.name.as_str())
                        && (types.is_empty() || types.iter().any(|x| x == ty))
                    {
                        out.push(
                            TStruct::new()
                                .with_str(1, d.name.as_str())
                                .with_str(2, t.name.as_str())
                                .with_str(3, ty)
                                .with_str(4, t.description.clone().unwrap_or_default()),
                        );
                    }
                }
            }
            Ok(ok(TValue::struct_list(out)))
        }),
        "get_fields"
        | "get_schema"
        | "get_fields_with_environment_context"
        | "get_schema_with_environment_context" => {
            run!(&[(1, Meta), (2, UnknownTable), (3, UnknownDb)], {
                let id = tid(a, 1, 2)?;
                let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
                let mut cols = t.columns().to_vec();
                if name.starts_with("get_schema") {
                    cols.extend(t.partition_keys.iter().cloned());
                }
                Ok(ok(columns(&cols)))
            })
        }
        "drop_table" | "drop_table_with_environment_context" => {
            run!(&[(1, NoSuchObject), (2, Meta)], {
                ctx.drop_table(a)?;
                Ok(void())
            })
        }
        "alter_table" | "alter_table_with_environment_context" | "alter_table_with_cascade" => {
            run!(&[(1, InvalidOperation), (2, Meta)], {
                ctx.alter_table(a)?;
                Ok(void())
            })
        }

        // ---- partitions
        "add_partition" | "add_partition_with_environment_context" => {
            run!(&[(1, InvalidObject), (2, AlreadyExists), (3, Meta)], {
                let p = a
                    .get(1)
                    .cloned()
                    .ok_or_else(|| Error::invalid("argument new_part is missing"))?;
                let added = ctx.add_partitions(&[p], false)?;
                let (t, p) = added
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::storage("the partition was not stored"))?;
                Ok(ok(TValue::Struct(partition(&p, &t))))
            })
        }
        "add_partitions" => run!(&[(1, InvalidObject), (2, AlreadyExists), (3, Meta)], {
            let n = ctx.add_partitions(a.list(1), false)?.len();
            Ok(ok(TValue::I32(n as i32)))
        }),
        "add_partitions_req" => run!(&[(1, InvalidObject), (2, AlreadyExists), (3, Meta)], {
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
            let added = ctx.add_partitions(&parts, r.bool(4).unwrap_or(false))?;
            let mut res = TStruct::new();
            if r.bool(5).unwrap_or(true) {
                res = res.with(
                    1,
                    TValue::struct_list(added.iter().map(|(t, p)| partition(p, t))),
                );
            }
            Ok(ok(TValue::Struct(res)))
        }),
        "get_partition" => run!(&[(1, Meta), (2, NoSuchObject)], {
            let id = tid(a, 1, 2)?;
            let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
            let p = ctx.store.get_partition(&id, &a.strings(3))?;
            Ok(ok(TValue::Struct(partition(&p, &t))))
        }),
        "get_partition_by_name" => run!(&[(1, Meta), (2, NoSuchObject)], {
            let id = tid(a, 1, 2)?;
            let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
            let vals = values_of_name(&t.partition_keys, &arg_str(a, 3, "part_name")?)?;
            let p = ctx.store.get_partition(&id, &vals)?;
            Ok(ok(TValue::Struct(partition(&p, &t))))
        }),
        "get_partitions" | "get_partitions_with_auth" => run!(&[(1, NoSuchObject), (2, Meta)], {
            let id = tid(a, 1, 2)?;
            let (t, ps) = partitions(ctx, &id, None, limit(a, 3)).map_err(no_table(&id))?;
            Ok(ok(partition_list(&t, &ps)))
        }),
        "get_partition_names" => run!(&[(1, NoSuchObject), (2, Meta)], {
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
            run!(slots, {
                let id = tid(a, 1, 2)?;
                let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
                let f = ps_filter(&t, &a.strings(3))?;
                let names = name == "get_partition_names_ps";
                let (t, ps) = partitions_of(ctx, &id, f.as_ref(), limit(a, 4), names)?;
                Ok(ok(if names {
                    names_list(&t, &ps)
                } else {
                    partition_list(&t, &ps)
                }))
            })
        }
        "get_partitions_by_filter" => run!(&[(1, Meta), (2, NoSuchObject)], {
            let id = tid(a, 1, 2)?;
            let f = parse_hive_filter(&a.str(3).unwrap_or_default())?;
            let (t, ps) = partitions(ctx, &id, f.as_ref(), limit(a, 4)).map_err(no_table(&id))?;
            Ok(ok(partition_list(&t, &ps)))
        }),
        "get_num_partitions_by_filter" => run!(&[(1, Meta), (2, NoSuchObject)], {
            let id = tid(a, 1, 2)?;
            let f = parse_hive_filter(&a.str(3).unwrap_or_default())?;
            let (_, ps) = partitions(ctx, &id, f.as_ref(), usize::MAX).map_err(no_table(&id))?;
            Ok(ok(TValue::I32(ps.len() as i32)))
        }),
        "get_partitions_by_names" => run!(&[(1, Meta), (2, NoSuchObject)], {
            let id = tid(a, 1, 2)?;
            let t = ctx.store.get_table(&id).map_err(no_table(&id))?;
            let mut out = Vec::new();
            for n in a.strings(3) {
                let vals = values_of_name(&t.partition_keys, &n)?;
                if let Ok(p) = ctx.store.get_partition(&id, &vals) {
                    out.push(p);
                }
            }
            Ok(ok(partition_list(&t, &out)))
        }),
        "drop_partition"
        | "drop_partition_with_environment_context"
        | "drop_partition_by_name"
        | "drop_partition_by_name_with_environment_context" => {
            run!(&[(1, NoSuchObject), (2, Meta)], {
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
        "drop_partitions_req" => run!(&[(1, NoSuchObject), (2, Meta)], {
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
        "alter_partition"
        | "alter_partitions"
        | "alter_partition_with_environment_context"
        | "alter_partitions_with_environment_context" => {
            run!(&[(1, InvalidOperation), (2, Meta)], {
                let id = tid(a, 1, 2)?;
                let parts: Vec<&TStruct> = if name.starts_with("alter_partitions") {
                    a.list(3).iter().filter_map(TValue::as_struct).collect()
                } else {
                    a.strct(3).into_iter().collect()
                };
                for p in parts {
                    let p = partition_of(p);
                    let vals = p.values.clone();
                    ctx.store.update_partition(&id, &vals, p)?;
                }
                Ok(void())
            })
        }
        "rename_partition" => run!(&[(1, InvalidOperation), (2, Meta)], {
            let id = tid(a, 1, 2)?;
            let p = partition_of(
                a.strct(4)
                    .ok_or_else(|| Error::invalid("argument new_part is missing"))?,
            );
            ctx.store.update_partition(&id, &a.strings(3), p)?;
            Ok(void())
        }),

        // ---- functions
        "create_function" => run!(
            &[
                (1, AlreadyExists),
                (2, InvalidObject),
                (3, Meta),
                (4, NoSuchObject)
            ],
            {
                let s = a
                    .strct(1)
                    .ok_or_else(|| Error::invalid("argument func is missing"))?;
                let d = DatabaseName::new(&s.str(2).unwrap_or_default())?;
                ctx.store.create_function(&d, function_of(s))?;
                Ok(void())
            }
        ),
        "get_function" => run!(&[(1, Meta), (2, NoSuchObject)], {
            let f = ctx
                .store
                .get_function(&db(a, 1)?, &arg_str(a, 2, "funcName")?)?;
            Ok(ok(TValue::Struct(function(&f))))
        }),
        "get_functions" => run!(&[(1, Meta)], {
            let d = db(a, 1)?;
            let re = crate::services::sql::hive_pattern(&a.str(2).unwrap_or_else(|| "*".into()))?;
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
        "get_all_functions" => run!(&[(1, Meta)], {
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
        "drop_function" => run!(&[(1, NoSuchObject), (2, Meta)], {
            ctx.store
                .delete_function(&db(a, 1)?, &arg_str(a, 2, "funcName")?)?;
            Ok(void())
        }),
        "alter_function" => run!(&[(1, InvalidOperation), (2, Meta)], {
            let s = a
                .strct(3)
                .ok_or_else(|| Error::invalid("argument newFunc is missing"))?;
            ctx.store
                .update_function(&db(a, 1)?, &arg_str(a, 2, "funcName")?, function_of(s))?;
            Ok(void())
        }),

        // ---- column statistics
        "update_table_column_statistics" | "update_partition_column_statistics" => run!(
            &[
                (1, NoSuchObject),
                (2, InvalidObject),
                (3, Meta),
                (4, InvalidInput)
            ],
            {
                let cs = a
                    .strct(1)
                    .ok_or_else(|| Error::invalid("argument stats_obj is missing"))?;
                ctx.update_statistics(cs)?;
                Ok(ok(TValue::Bool(true)))
            }
        ),
        "set_aggr_stats_for" => run!(
            &[
                (1, NoSuchObject),
                (2, InvalidObject),
                (3, Meta),
                (4, InvalidInput)
            ],
            {
                let r = a
                    .strct(1)
                    .ok_or_else(|| Error::invalid("argument request is missing"))?;
                for cs in r.list(1).iter().filter_map(TValue::as_struct) {
                    ctx.update_statistics(cs)?;
                }
                Ok(ok(TValue::Bool(true)))
            }
        ),
        "get_table_statistics_req" => run!(&[(1, NoSuchObject), (2, Meta)], {
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
        "get_partitions_statistics_req" => run!(&[(1, NoSuchObject), (2, Meta)], {
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
        "get_table_column_statistics" | "get_partition_column_statistics" => run!(
            &[
                (1, NoSuchObject),
                (2, Meta),
                (3, InvalidInput),
                (4, InvalidObject)
            ],
            {
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
            }
        ),
        "delete_table_column_statistics" | "delete_partition_column_statistics" => run!(
            &[
                (1, NoSuchObject),
                (2, Meta),
                (3, InvalidObject),
                (4, InvalidInput)
            ],
            {
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
            }
        ),

        // ---- locks
        "lock" => ok(TValue::Struct(ctx.locks.lock(a.strct(1)))),
        "check_lock" => run!(&[(1, Meta), (2, Meta), (3, NoSuchLock)], {
            let id = a.strct(1).and_then(|r| r.int(1)).unwrap_or(-1);
            Ok(ok(TValue::Struct(ctx.locks.check(id)?)))
        }),
        "unlock" => run!(&[(1, NoSuchLock), (2, Meta)], {
            let id = a.strct(1).and_then(|r| r.int(1)).unwrap_or(-1);
            ctx.locks.unlock(id)?;
            Ok(void())
        }),
        "heartbeat" => run!(&[(1, NoSuchLock), (2, Meta), (3, Meta)], {
            if let Some(id) = a.strct(1).and_then(|r| r.int(1)) {
                ctx.locks.heartbeat(id)?;
            }
            Ok(void())
        }),
        "show_locks" => ok(TValue::Struct(ctx.locks.show())),

        // Hive's Kryo-serialised expressions: answered as unknown on purpose, so the
        // client prunes partitions itself.
        _ => Answer::Application(
            format!("Invalid method name: '{name}'"),
            super::thrift::UNKNOWN_METHOD,
        ),
    }
}

/// Ensures the `default` database Hive clients expect exists.
pub fn ensure_default(store: &dyn CatalogStore, warehouse: &std::path::Path) -> Result<()> {
    let name = DatabaseName::new("default")?;
    match store.get_database(&name) {
        Ok(_) => Ok(()),
        Err(e) if e.kind == ErrorKind::NotFound => {
            let _ = std::fs::create_dir_all(warehouse);
            let mut d = Database::new(name);
            d.description = Some("Default Hive database".into());
            d.location_uri = Some(format!("file:{}", warehouse.display()));
            match store.create_database(d) {
                Err(e) if e.kind != ErrorKind::AlreadyExists => Err(e),
                _ => Ok(()),
            }
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_filters_become_glue_filters() {
        assert_eq!(hive_filter(r#"dt = "2024-01-02""#), "dt = '2024-01-02'");
        assert_eq!(
            hive_filter(r#"a = "it's" and b != 'x'"#),
            "a = 'it''s' and b != 'x'"
        );
        assert_eq!(hive_filter(r#"a = "q\"x""#), "a = 'q\"x'");
        assert!(parse_hive_filter(r#"(dt >= "a" or hour < 5) and not x = "y""#).is_ok());
    }
}
