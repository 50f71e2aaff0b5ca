//! What every family of Hive Metastore calls shares: the context (store, locks,
//! folders), the answer shapes, exception slots, argument readers, Hive filters
//! and the partition listing they all page through.

use super::convert::*;
use super::locks::Locks;
use super::thrift::{TStruct, TValue};
use crate::services::folders::{local_path as file_dir, Folders};
use crate::services::rename::rename_table;
use lakecat_catalog_api::filter::{Dialect, FilterExpr};
use lakecat_catalog_api::model::{Database, Partition, Table, TableType};
use lakecat_catalog_api::store::{
    managed_table_folder, CatalogStore, PageRequest, UpdateTableOptions,
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
    /// Where writes and refusals are recorded.
    pub audit: crate::services::audit::Audit,
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

pub fn ok(v: TValue) -> Answer {
    Answer::Reply(TStruct::new().with(0, v))
}

pub fn void() -> Answer {
    Answer::Reply(TStruct::new())
}

/// The exception struct for `e` in the best slot of `slots` (id, type).
pub fn fail(e: &Error, slots: &[(i16, Ex)]) -> Answer {
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
        ErrorKind::Storage | ErrorKind::Unavailable | ErrorKind::AccessDenied | ErrorKind::Gone => {
            &[]
        }
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

pub fn arg_str(a: &TStruct, id: i16, what: &str) -> Result<String> {
    a.str(id)
        .ok_or_else(|| Error::invalid(format!("argument {what} is missing")))
}

/// What every refusal of Hive ACID says.
pub fn not_served(call: &str) -> String {
    format!(
        "{call}: lakecat does not serve Hive ACID transactions or transactional tables; use external or non-transactional managed tables (Iceberg tables keep their own transactions)"
    )
}

/// Refuses a table marked `transactional=true`: its writers would need the
/// transactions lakecat does not serve, and its readers valid write ids.
pub fn not_transactional(call: &str, t: &Table) -> Result<()> {
    match t.parameters.get("transactional") {
        Some(v) if v.eq_ignore_ascii_case("true") => Err(Error::invalid(not_served(call))),
        _ => Ok(()),
    }
}

/// The one catalog lakecat serves (Hive's default).
pub const HIVE_CATALOG: &str = "hive";

/// Refuses every catalog but `hive`, naming it.
pub fn check_catalog(name: &str) -> Result<()> {
    if name.is_empty() || name.eq_ignore_ascii_case(HIVE_CATALOG) {
        return Ok(());
    }
    Err(Error::not_found(format!(
        "catalog {name:?} does not exist: lakecat serves one catalog, hive"
    )))
}

/// A database argument as Hive 3 clients send it: `@catalog#db` (`@hive#!` is
/// the empty name, `@hive#` none at all), or a plain name from older clients.
pub fn db_arg(raw: &str) -> Result<String> {
    let Some(rest) = raw.strip_prefix('@') else {
        return Ok(raw.to_string());
    };
    let Some((cat, db)) = rest.split_once('#') else {
        return Ok(raw.to_string());
    };
    check_catalog(cat)?;
    Ok(if db == "!" {
        String::new()
    } else {
        db.to_string()
    })
}

pub fn db(a: &TStruct, id: i16) -> Result<DatabaseName> {
    DatabaseName::new(&db_arg(&arg_str(a, id, "db_name")?)?)
}

/// The table a Hive 3/4 request struct names by catalog (`cat`, 0 for none),
/// database and table field ids.
pub fn req_table(r: &TStruct, cat: i16, d: i16, t: i16) -> Result<TableIdent> {
    if cat > 0 {
        check_catalog(&r.str(cat).unwrap_or_default())?;
    }
    tid(r, d, t)
}

/// A call's request struct (argument 1 of every `*_req` call).
pub fn req(a: &TStruct) -> Result<&TStruct> {
    a.strct(1)
        .ok_or_else(|| Error::invalid("argument req is missing"))
}

pub fn tid(a: &TStruct, d: i16, t: i16) -> Result<TableIdent> {
    TableIdent::parse(
        &db_arg(&arg_str(a, d, "db_name")?)?,
        &arg_str(a, t, "tbl_name")?,
    )
}

/// `max_parts` (i16 in Hive 2.3, i32 later): negative means all.
pub fn limit(a: &TStruct, id: i16) -> usize {
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
pub fn parse_hive_filter(text: &str) -> Result<Option<FilterExpr>> {
    FilterExpr::parse_as(&hive_filter(text), Dialect::Hive)
}

/// The filter of a `*_ps` call: the given values fix their keys; `''` is a wildcard.
pub fn ps_filter(table: &Table, vals: &[String]) -> Result<Option<FilterExpr>> {
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
pub fn partitions_of(
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

pub fn partitions(
    ctx: &Ctx,
    id: &TableIdent,
    filter: Option<&FilterExpr>,
    max: usize,
) -> Result<(Table, Vec<Partition>)> {
    partitions_of(ctx, id, filter, max, false)
}

pub fn partition_list(t: &Table, parts: &[Partition]) -> TValue {
    TValue::struct_list(parts.iter().map(|p| partition(p, t)))
}

pub fn names_list(t: &Table, parts: &[Partition]) -> TValue {
    TValue::str_list(
        parts
            .iter()
            .map(|p| partition_name(&t.partition_keys, &p.values)),
    )
}

/// Hive's table-not-found message (`db.t table not found`).
pub fn no_table(id: &TableIdent) -> impl Fn(Error) -> Error + '_ {
    move |e| {
        if e.kind == ErrorKind::NotFound && e.message.starts_with("table ") {
            Error::not_found(format!("{}.{} table not found", id.database, id.name))
        } else {
            e
        }
    }
}

impl Ctx {
    pub fn database_location(&self, d: &DatabaseName) -> Result<String> {
        let db = self.store.get_database(d)?;
        Ok(match db.location_uri {
            Some(l) => l,
            None => format!("file:{}/{}.db", self.folders.warehouse().display(), d),
        })
    }

    /// A managed table without a location gets `<database location>/<table>`, and
    /// for local paths the folder is created, as Hive does.
    pub fn place(&self, d: &DatabaseName, t: &mut Table) -> Result<()> {
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

    pub fn create_table(&self, a: &TStruct) -> Result<()> {
        let s = a
            .strct(1)
            .ok_or_else(|| Error::invalid("argument tbl is missing"))?;
        let d = DatabaseName::new(&s.str(2).unwrap_or_default())?;
        let mut t = table_of(s)?;
        not_transactional("create_table", &t)?;
        self.place(&d, &mut t)?;
        self.store.create_table(&d, t).map(|_| ())
    }

    pub fn drop_table(&self, a: &TStruct) -> Result<()> {
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

    /// Replaces table `id` with `s` (`alter_table*`, `alter_table_req`).
    pub fn alter_table(&self, id: TableIdent, s: Option<&TStruct>) -> Result<()> {
        let s = s.ok_or_else(|| Error::invalid("argument new_tbl is missing"))?;
        let mut t = table_of(s)?;
        not_transactional("alter_table", &t)?;
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
    pub fn update_statistics(&self, cs: &TStruct) -> Result<()> {
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

    /// Replaces existing partitions of `id` (Hive's alter_partition(s)): every
    /// one must exist; none is changed if one does not. Each replacement is its
    /// own write.
    pub fn alter_partitions(&self, id: &TableIdent, parts: &[&TStruct]) -> Result<()> {
        self.store.get_table(id).map_err(no_table(id))?;
        let parts: Vec<Partition> = parts.iter().map(|p| partition_of(p)).collect();
        // All or nothing, as the Hive Metastore's one transaction.
        self.store.replace_partitions(id, parts)
    }

    /// Adds partitions (of one or several tables) and returns them as stored;
    /// with `fetch` false only their number is wanted, and nothing is read back.
    pub fn add_partitions(
        &self,
        parts: &[TValue],
        if_not_exists: bool,
        fetch: bool,
    ) -> Result<(usize, Vec<(Table, Partition)>)> {
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
        let mut count = 0;
        for (id, ps) in by_table {
            let t = self.store.get_table(&id).map_err(no_table(&id))?;
            let wanted: Vec<Vec<String>> = ps.iter().map(|p| p.values.clone()).collect();
            let errors = self.store.create_partitions(&id, ps, if_not_exists)?;
            if let Some(e) = errors.first() {
                return Err(e.error.clone());
            }
            count += wanted.len();
            if !fetch {
                continue;
            }
            for v in wanted {
                if let Ok(p) = self.store.get_partition(&id, &v) {
                    out.push((t.clone(), p));
                }
            }
        }
        Ok((count, out))
    }
}

/// Runs a call's body and answers its result, or its error in the slot the
/// method declares for that kind of error.
pub fn run(name: &str, slots: &[(i16, Ex)], body: impl FnOnce() -> Result<Answer>) -> Answer {
    match body() {
        Ok(answer) => answer,
        Err(e) => {
            tracing::debug!(call = name, "refused: {}", e.message);
            fail(&e, slots)
        }
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
