//! Permissions: principals hold grants of privileges on the catalog, a database
//! or a table, in the spirit of Lake Formation's grants and Hive's `GRANT`.
//!
//! They are enforced in one place for every front: [`GuardedStore`] wraps the
//! catalog store and checks each call against the grants of the actor the call
//! runs for. The fronts only say who that is ([`scope`] for a request's task,
//! [`run_as`] for a thread); a call made with no actor at all is refused, so a
//! path that forgets to say fails closed. The server's own work (crawls it runs,
//! schedules, the audit writer) runs as [`Actor::System`].
//!
//! Privileges: `read` (see and list), `write` (create and change definitions,
//! partitions, statistics, indexes), `drop` (delete tables and databases) and
//! `admin` (everything, and managing grants; on the catalog only). A grant on
//! the catalog covers every database, one on a database covers its tables.

use lakecat_catalog_api::events::{Change, Event, EventBounds, Retention};
use lakecat_catalog_api::filter::FilterExpr;
use lakecat_catalog_api::model::{Database, Function, Partition, Table, TableVersion};
use lakecat_catalog_api::stats::{ColumnStatistics, ColumnStatisticsError, PartitionIndex};
use lakecat_catalog_api::store::{
    CatalogStore, Page, PageRequest, PartitionError, RecordWrite, StoreStats, TableImage,
    TableWrite, UpdateTableOptions,
};
use lakecat_catalog_api::{DatabaseName, Error, Result, TableIdent};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The record space grants are kept in, one record per principal.
pub const SPACE: &str = "grants";
/// How long a replica trusts the grants it read (changes made on another replica
/// of a shared store take effect within this).
const CACHE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Privilege {
    Read,
    Write,
    Drop,
    Admin,
}

impl Privilege {
    /// Its name, as grants are stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Privilege::Read => "read",
            Privilege::Write => "write",
            Privilege::Drop => "drop",
            Privilege::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Privilege> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "read" | "select" | "describe" => Privilege::Read,
            "write" | "alter" | "create" | "insert" | "update" | "index" | "lock" => {
                Privilege::Write
            }
            "drop" | "delete" => Privilege::Drop,
            "admin" => Privilege::Admin,
            other => {
                return Err(Error::invalid(format!(
                    "privilege {other:?} is not one of read, write, drop, admin (or Hive's SELECT, ALTER, CREATE, INSERT, UPDATE, INDEX, LOCK, DROP, DELETE, ALL)"
                )))
            }
        })
    }
}

/// What a grant is on: `catalog`, `database:DB` or `table:DB.TABLE`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    Catalog,
    Database(String),
    Table(String, String),
}

impl Resource {
    pub fn parse(s: &str) -> Result<Resource> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("catalog") {
            return Ok(Resource::Catalog);
        }
        if let Some(db) = s.strip_prefix("database:") {
            return Ok(Resource::Database(
                DatabaseName::new(db)?.as_str().to_string(),
            ));
        }
        if let Some(t) = s.strip_prefix("table:") {
            if let Some((db, table)) = t.split_once('.') {
                let id = TableIdent::parse(db, table)?;
                return Ok(Resource::Table(
                    id.database.as_str().to_string(),
                    id.name.as_str().to_string(),
                ));
            }
        }
        Err(Error::invalid(format!(
            "resource {s:?} is not catalog, database:DB or table:DB.TABLE"
        )))
    }

    fn table(id: &TableIdent) -> Resource {
        Resource::Table(
            id.database.as_str().to_string(),
            id.name.as_str().to_string(),
        )
    }

    fn database(db: &DatabaseName) -> Resource {
        Resource::Database(db.as_str().to_string())
    }

    /// Whether a grant on `self` covers `other`.
    fn covers(&self, other: &Resource) -> bool {
        match (self, other) {
            (Resource::Catalog, _) => true,
            (Resource::Database(a), Resource::Database(b)) => a == b,
            (Resource::Database(a), Resource::Table(b, _)) => a == b,
            (Resource::Table(a, x), Resource::Table(b, y)) => a == b && x == y,
            _ => false,
        }
    }

    fn in_database(&self, db: &str) -> bool {
        match self {
            Resource::Catalog => true,
            Resource::Database(d) | Resource::Table(d, _) => d == db,
        }
    }
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resource::Catalog => write!(f, "catalog"),
            Resource::Database(d) => write!(f, "database:{d}"),
            Resource::Table(d, t) => write!(f, "table:{d}.{t}"),
        }
    }
}

/// One principal's privileges on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub principal: String,
    /// `catalog`, `database:DB` or `table:DB.TABLE`.
    pub resource: String,
    pub privileges: Vec<Privilege>,
}

/// Who a store call is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The server's own work.
    System,
    /// A verified access key or SASL user, or `anonymous`.
    Principal(String),
}

thread_local! {
    static CURRENT: RefCell<Option<Actor>> = const { RefCell::new(None) };
}

tokio::task_local! {
    static TASK_ACTOR: Actor;
}

/// The actor of the running code: the thread's, else the task's.
pub fn current() -> Option<Actor> {
    CURRENT
        .with(|c| c.borrow().clone())
        .or_else(|| TASK_ACTOR.try_with(Actor::clone).ok())
}

/// Runs `f` on this thread for `actor`.
pub fn run_as<R>(actor: Actor, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Actor>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| *c.borrow_mut() = self.0.take());
        }
    }
    // The store stamps the change log with the principal it is given here.
    let principal = match &actor {
        Actor::Principal(p) => Some(p.clone()),
        Actor::System => None,
    };
    let _restore = Restore(CURRENT.with(|c| c.borrow_mut().replace(actor)));
    lakecat_catalog_api::events::as_principal(principal, f)
}

/// Runs a future (a request's handling, a background task) for `actor`.
pub async fn scope<F: std::future::Future>(actor: Actor, f: F) -> F::Output {
    TASK_ACTOR.scope(actor, f).await
}

/// `tokio::task::spawn_blocking`, keeping the caller's actor.
pub fn spawn_blocking<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> tokio::task::JoinHandle<R> {
    let actor = current();
    tokio::task::spawn_blocking(move || match actor {
        Some(a) => run_as(a, f),
        None => f(),
    })
}

/// One principal's grants, parsed.
type Held = Arc<Vec<(Resource, Vec<Privilege>)>>;

/// Reads and changes grants, and answers whether an actor may do something.
pub struct Authorizer {
    /// The store grants are kept in (unguarded: grants are checked here).
    store: Arc<dyn CatalogStore>,
    /// Principals that are always administrators (`--admins`).
    admins: Vec<String>,
    cache: Mutex<HashMap<String, (Instant, Held)>>,
}

impl Authorizer {
    pub fn new(store: Arc<dyn CatalogStore>, admins: Vec<String>) -> Authorizer {
        Authorizer {
            store,
            admins,
            cache: Mutex::default(),
        }
    }

    fn grants_of(&self, principal: &str) -> Result<Held> {
        if let Some((at, g)) = self.cache.lock().unwrap().get(principal) {
            if at.elapsed() < CACHE {
                return Ok(g.clone());
            }
        }
        let stored: Vec<Grant> = match self.store.get_record(SPACE, principal)? {
            Some(v) => serde_json::from_slice(&v)
                .map_err(|e| Error::storage(format!("grants of {principal}: {e}")))?,
            None => Vec::new(),
        };
        let parsed = Arc::new(
            stored
                .into_iter()
                .filter_map(|g| Some((Resource::parse(&g.resource).ok()?, g.privileges)))
                .collect::<Vec<_>>(),
        );
        let mut cache = self.cache.lock().unwrap();
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(principal.to_string(), (Instant::now(), parsed.clone()));
        Ok(parsed)
    }

    fn is_admin(&self, principal: &str) -> Result<bool> {
        if self.admins.iter().any(|a| a == principal) {
            return Ok(true);
        }
        Ok(self
            .grants_of(principal)?
            .iter()
            .any(|(r, ps)| *r == Resource::Catalog && ps.contains(&Privilege::Admin)))
    }

    /// Whether `principal` holds `need` on `on`.
    pub fn allows(&self, principal: &str, need: Privilege, on: &Resource) -> Result<bool> {
        if self.is_admin(principal)? {
            return Ok(true);
        }
        Ok(self
            .grants_of(principal)?
            .iter()
            .any(|(r, ps)| r.covers(on) && ps.contains(&need)))
    }

    /// Whether `principal` may see database `db` at all (any grant in it).
    fn sees_database(&self, principal: &str, db: &str) -> Result<bool> {
        Ok(self.is_admin(principal)?
            || self
                .grants_of(principal)?
                .iter()
                .any(|(r, ps)| r.in_database(db) && !ps.is_empty()))
    }

    /// The current actor, refused if it lacks `need` on `on`.
    pub fn check(&self, need: Privilege, on: &Resource) -> Result<()> {
        match current() {
            Some(Actor::System) => Ok(()),
            Some(Actor::Principal(p)) => {
                if self.allows(&p, need, on)? {
                    Ok(())
                } else {
                    Err(Error::access_denied(format!(
                        "{p} may not {} {on} (no {} grant covers it)",
                        verb(need),
                        need.as_str()
                    )))
                }
            }
            None => Err(Error::access_denied(
                "this call was made for no principal, so it is refused",
            )),
        }
    }

    fn check_sees(&self, db: &DatabaseName) -> Result<()> {
        match current() {
            Some(Actor::System) => Ok(()),
            Some(Actor::Principal(p)) if self.sees_database(&p, db.as_str())? => Ok(()),
            _ => self.check(Privilege::Read, &Resource::database(db)),
        }
    }

    /// Keeps what the current actor may see.
    fn visible<T>(&self, items: Vec<T>, on: impl Fn(&T) -> Resource) -> Result<Vec<T>> {
        match current() {
            Some(Actor::System) => Ok(items),
            Some(Actor::Principal(p)) => {
                let mut kept = Vec::with_capacity(items.len());
                for item in items {
                    let keep = match on(&item) {
                        Resource::Database(d) => self.sees_database(&p, &d)?,
                        r => self.allows(&p, Privilege::Read, &r)?,
                    };
                    if keep {
                        kept.push(item);
                    }
                }
                Ok(kept)
            }
            None => self
                .check(Privilege::Read, &Resource::Catalog)
                .map(|_| items),
        }
    }

    /// Grants, of one principal or of all, in principal order.
    pub fn list(&self, principal: Option<&str>) -> Result<Vec<Grant>> {
        self.check(Privilege::Admin, &Resource::Catalog)
            .or_else(|e| match (current(), principal) {
                // Everyone may read their own grants.
                (Some(Actor::Principal(me)), Some(p)) if me == p => Ok(()),
                _ => Err(e),
            })?;
        let mut out = Vec::new();
        let mut page = PageRequest::first(1_000);
        loop {
            let p = self
                .store
                .list_records(SPACE, principal.unwrap_or(""), &page)?;
            for (key, v) in p.items {
                if principal.is_some_and(|want| want != key) {
                    continue;
                }
                let grants: Vec<Grant> = serde_json::from_slice(&v)
                    .map_err(|e| Error::storage(format!("grants of {key}: {e}")))?;
                out.extend(grants);
            }
            match p.next_token {
                Some(t) => {
                    page = PageRequest {
                        token: Some(t),
                        limit: 1_000,
                    }
                }
                None => return Ok(out),
            }
        }
    }

    /// Adds privileges (`grant = true`) or removes them; administrators only.
    pub fn change(
        &self,
        principal: &str,
        resource: &Resource,
        privileges: &[Privilege],
        grant: bool,
    ) -> Result<Vec<Grant>> {
        self.check(Privilege::Admin, &Resource::Catalog)?;
        if principal.is_empty() || principal.len() > 256 {
            return Err(Error::invalid("a principal is 1 to 256 characters"));
        }
        if privileges.contains(&Privilege::Admin) && *resource != Resource::Catalog {
            return Err(Error::invalid("admin is granted on the catalog only"));
        }
        let resource_text = resource.to_string();
        // Read, change and write back under compare-and-swap, so that two
        // administrators changing one principal's grants at once lose nothing.
        loop {
            let old = self.store.get_record(SPACE, principal)?;
            let mut grants: Vec<Grant> = match &old {
                Some(v) => serde_json::from_slice(v)
                    .map_err(|e| Error::storage(format!("grants of {principal}: {e}")))?,
                None => Vec::new(),
            };
            match grants.iter_mut().find(|g| g.resource == resource_text) {
                Some(g) if grant => g.privileges.extend_from_slice(privileges),
                Some(g) => g.privileges.retain(|p| !privileges.contains(p)),
                None if grant => grants.push(Grant {
                    principal: principal.to_string(),
                    resource: resource_text.clone(),
                    privileges: privileges.to_vec(),
                }),
                None => {}
            }
            for g in &mut grants {
                g.privileges.sort();
                g.privileges.dedup();
            }
            grants.retain(|g| !g.privileges.is_empty());
            let expect = match &old {
                Some(v) => lakecat_catalog_api::store::Expect::Equals(v.clone()),
                None => lakecat_catalog_api::store::Expect::Absent,
            };
            let write = if grants.is_empty() {
                RecordWrite::delete(SPACE, principal)
            } else {
                RecordWrite::put(
                    SPACE,
                    principal,
                    serde_json::to_vec(&grants).expect("grants serialise"),
                )
            }
            .expecting(expect);
            match self.store.write_records(vec![write]) {
                Ok(()) => {
                    self.cache.lock().unwrap().remove(principal);
                    return Ok(grants);
                }
                Err(e) if e.kind == lakecat_catalog_api::ErrorKind::Conflict => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

fn verb(p: Privilege) -> &'static str {
    match p {
        Privilege::Read => "read",
        Privilege::Write => "change",
        Privilege::Drop => "drop",
        Privilege::Admin => "administer",
    }
}

/// The catalog store, with every call checked against the actor's grants.
pub struct GuardedStore {
    pub inner: Arc<dyn CatalogStore>,
    pub auth: Arc<Authorizer>,
}

impl GuardedStore {
    fn on_table(&self, need: Privilege, id: &TableIdent) -> Result<()> {
        self.auth.check(need, &Resource::table(id))
    }

    fn on_db(&self, need: Privilege, db: &DatabaseName) -> Result<()> {
        self.auth.check(need, &Resource::database(db))
    }

    /// Records: Hive locks (`hms`) are anyone's; the audit log, grants and
    /// webhooks (which hold secrets and make the server call out to any URL)
    /// are administrators'; the services' records (crawlers, events) are the
    /// catalog's.
    fn on_space(&self, space: &str, write: bool) -> Result<()> {
        use crate::services::webhooks;
        match space {
            "hms" => Ok(()),
            crate::services::audit::SPACE
            | SPACE
            | webhooks::SUBSCRIPTIONS
            | webhooks::STATES
            | webhooks::DEAD_LETTERS => self.auth.check(Privilege::Admin, &Resource::Catalog),
            _ => self.auth.check(
                if write {
                    Privilege::Write
                } else {
                    Privilege::Read
                },
                &Resource::Catalog,
            ),
        }
    }
}

impl GuardedStore {
    /// A new table needs write on its database; a replaced one, on itself.
    fn may_write_table(&self, db: &DatabaseName, write: &TableWrite) -> Result<()> {
        match write.expected_version {
            None => self.on_db(Privilege::Write, db),
            Some(_) => self.on_table(
                Privilege::Write,
                &TableIdent {
                    database: db.clone(),
                    name: write.table.name.clone(),
                },
            ),
        }
    }
}

/// The address of a table a change names.
fn table_ident(t: &lakecat_catalog_api::model::Table) -> Result<TableIdent> {
    let db = t
        .database_name
        .clone()
        .ok_or_else(|| Error::invalid(format!("table {} names no database", t.name)))?;
    Ok(TableIdent::new(db, t.name.clone()))
}

impl CatalogStore for GuardedStore {
    fn create_database(&self, db: Database) -> Result<Database> {
        self.auth.check(Privilege::Write, &Resource::Catalog)?;
        self.inner.create_database(db)
    }
    fn get_database(&self, name: &DatabaseName) -> Result<Database> {
        self.auth.check_sees(name)?;
        self.inner.get_database(name)
    }
    fn list_databases(&self, page: &PageRequest) -> Result<Page<Database>> {
        let p = self.inner.list_databases(page)?;
        Ok(Page {
            items: self
                .auth
                .visible(p.items, |d| Resource::database(&d.name))?,
            next_token: p.next_token,
        })
    }
    fn update_database(&self, name: &DatabaseName, db: Database) -> Result<Database> {
        self.on_db(Privilege::Write, name)?;
        self.inner.update_database(name, db)
    }
    fn delete_database(&self, name: &DatabaseName, cascade: bool) -> Result<()> {
        self.on_db(Privilege::Drop, name)?;
        self.inner.delete_database(name, cascade)
    }
    fn create_table(&self, db: &DatabaseName, table: Table) -> Result<Table> {
        self.on_db(Privilege::Write, db)?;
        self.inner.create_table(db, table)
    }
    fn get_table(&self, id: &TableIdent) -> Result<Table> {
        self.on_table(Privilege::Read, id)?;
        self.inner.get_table(id)
    }
    fn get_table_async<'a>(
        &'a self,
        id: &'a TableIdent,
    ) -> lakecat_catalog_api::store::StoreFuture<'a, Table> {
        // Checked now, in the request's task, where its actor is.
        match self.on_table(Privilege::Read, id) {
            Ok(()) => self.inner.get_table_async(id),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }
    fn list_tables(
        &self,
        db: &DatabaseName,
        pattern: Option<&regex::Regex>,
        page: &PageRequest,
    ) -> Result<Page<Table>> {
        self.auth.check_sees(db)?;
        let p = self.inner.list_tables(db, pattern, page)?;
        Ok(Page {
            items: self.auth.visible(p.items, |t| {
                Resource::Table(db.as_str().to_string(), t.name.as_str().to_string())
            })?,
            next_token: p.next_token,
        })
    }
    fn update_table(
        &self,
        id: &TableIdent,
        table: Table,
        opts: UpdateTableOptions,
    ) -> Result<Table> {
        self.on_table(Privilege::Write, id)?;
        // A rename also creates a table under the new name.
        let db = table.database_name.clone().unwrap_or(id.database.clone());
        if db != id.database || table.name != id.name {
            self.on_db(Privilege::Write, &db)?;
        }
        self.inner.update_table(id, table, opts)
    }
    fn delete_table(&self, id: &TableIdent) -> Result<()> {
        self.on_table(Privilege::Drop, id)?;
        self.inner.delete_table(id)
    }
    fn list_table_versions(
        &self,
        id: &TableIdent,
        page: &PageRequest,
    ) -> Result<Page<TableVersion>> {
        self.on_table(Privilege::Read, id)?;
        self.inner.list_table_versions(id, page)
    }
    fn get_table_version(&self, id: &TableIdent, version: u64) -> Result<TableVersion> {
        self.on_table(Privilege::Read, id)?;
        self.inner.get_table_version(id, version)
    }
    fn delete_table_versions(
        &self,
        id: &TableIdent,
        versions: &[u64],
    ) -> Result<Vec<(u64, Error)>> {
        self.on_table(Privilege::Write, id)?;
        self.inner.delete_table_versions(id, versions)
    }
    fn create_partitions(
        &self,
        id: &TableIdent,
        parts: Vec<Partition>,
        if_not_exists: bool,
    ) -> Result<Vec<PartitionError>> {
        self.on_table(Privilege::Write, id)?;
        self.inner.create_partitions(id, parts, if_not_exists)
    }
    fn get_partition(&self, id: &TableIdent, values: &[String]) -> Result<Partition> {
        self.on_table(Privilege::Read, id)?;
        self.inner.get_partition(id, values)
    }
    fn update_partition(
        &self,
        id: &TableIdent,
        values: &[String],
        part: Partition,
    ) -> Result<Partition> {
        self.on_table(Privilege::Write, id)?;
        self.inner.update_partition(id, values, part)
    }
    fn replace_partitions(&self, id: &TableIdent, parts: Vec<Partition>) -> Result<()> {
        self.on_table(Privilege::Write, id)?;
        self.inner.replace_partitions(id, parts)
    }
    fn delete_partitions(
        &self,
        id: &TableIdent,
        values: &[Vec<String>],
    ) -> Result<Vec<PartitionError>> {
        self.on_table(Privilege::Write, id)?;
        self.inner.delete_partitions(id, values)
    }
    fn list_partitions_with(
        &self,
        id: &TableIdent,
        filter: Option<&FilterExpr>,
        page: &PageRequest,
        values_only: bool,
    ) -> Result<Page<Partition>> {
        self.on_table(Privilege::Read, id)?;
        self.inner
            .list_partitions_with(id, filter, page, values_only)
    }
    fn create_function(&self, db: &DatabaseName, f: Function) -> Result<Function> {
        self.on_db(Privilege::Write, db)?;
        self.inner.create_function(db, f)
    }
    fn get_function(&self, db: &DatabaseName, name: &str) -> Result<Function> {
        self.auth.check_sees(db)?;
        self.inner.get_function(db, name)
    }
    fn list_functions(
        &self,
        db: &DatabaseName,
        pattern: Option<&regex::Regex>,
        page: &PageRequest,
    ) -> Result<Page<Function>> {
        self.auth.check_sees(db)?;
        self.inner.list_functions(db, pattern, page)
    }
    fn update_function(&self, db: &DatabaseName, name: &str, f: Function) -> Result<Function> {
        self.on_db(Privilege::Write, db)?;
        self.inner.update_function(db, name, f)
    }
    fn delete_function(&self, db: &DatabaseName, name: &str) -> Result<()> {
        self.on_db(Privilege::Drop, db)?;
        self.inner.delete_function(db, name)
    }
    fn write_table(&self, db: &DatabaseName, write: TableWrite) -> Result<Table> {
        self.may_write_table(db, &write)?;
        self.inner.write_table(db, write)
    }
    fn write_tables(&self, writes: Vec<(DatabaseName, TableWrite)>) -> Result<Vec<Table>> {
        // Every table is checked before any is written: one refusal refuses all.
        for (db, w) in &writes {
            self.may_write_table(db, w)?;
        }
        self.inner.write_tables(writes)
    }
    fn create_partition_index(&self, id: &TableIdent, index: PartitionIndex) -> Result<()> {
        self.on_table(Privilege::Write, id)?;
        self.inner.create_partition_index(id, index)
    }
    fn list_partition_indexes(&self, id: &TableIdent) -> Result<Vec<PartitionIndex>> {
        self.on_table(Privilege::Read, id)?;
        self.inner.list_partition_indexes(id)
    }
    fn delete_partition_index(&self, id: &TableIdent, name: &str) -> Result<()> {
        self.on_table(Privilege::Write, id)?;
        self.inner.delete_partition_index(id, name)
    }
    fn update_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        stats: Vec<ColumnStatistics>,
    ) -> Result<Vec<ColumnStatisticsError>> {
        self.on_table(Privilege::Write, id)?;
        self.inner.update_column_statistics(id, partition, stats)
    }
    fn get_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        columns: &[String],
    ) -> Result<Vec<ColumnStatistics>> {
        self.on_table(Privilege::Read, id)?;
        self.inner.get_column_statistics(id, partition, columns)
    }
    fn delete_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        column: &str,
    ) -> Result<()> {
        self.on_table(Privilege::Write, id)?;
        self.inner.delete_column_statistics(id, partition, column)
    }
    fn get_record(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>> {
        self.on_space(space, false)?;
        self.inner.get_record(space, key)
    }
    fn list_records(
        &self,
        space: &str,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<(String, Vec<u8>)>> {
        self.on_space(space, false)?;
        self.inner.list_records(space, prefix, page)
    }
    fn write_records_logged(&self, writes: Vec<RecordWrite>, changes: Vec<Change>) -> Result<()> {
        for w in &writes {
            self.on_space(&w.space, true)?;
        }
        for c in &changes {
            match (c.database(), c.table()) {
                (Some(_), Some(t)) => self.on_table(Privilege::Write, &table_ident(t)?)?,
                _ => self.auth.check(Privilege::Write, &Resource::Catalog)?,
            }
        }
        self.inner.write_records_logged(writes, changes)
    }
    /// The log shows every database's changes, so reading it is a catalog-wide read.
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        self.auth.check(Privilege::Read, &Resource::Catalog)?;
        self.inner.events_after(after, limit)
    }
    fn event_bounds(&self) -> Result<EventBounds> {
        self.auth.check(Privilege::Read, &Resource::Catalog)?;
        self.inner.event_bounds()
    }
    fn set_change_log(&self, on: bool) {
        self.inner.set_change_log(on)
    }
    fn trim_events(&self, retention: &Retention) -> Result<u64> {
        self.auth.check(Privilege::Admin, &Resource::Catalog)?;
        self.inner.trim_events(retention)
    }
    fn record_spaces(&self) -> Result<Vec<String>> {
        self.auth.check(Privilege::Admin, &Resource::Catalog)?;
        self.inner.record_spaces()
    }
    fn shared(&self) -> bool {
        self.inner.shared()
    }
    fn export_table(&self, id: &TableIdent) -> Result<TableImage> {
        self.auth.check(Privilege::Admin, &Resource::Catalog)?;
        self.inner.export_table(id)
    }
    fn import_database(&self, db: Database) -> Result<()> {
        self.auth.check(Privilege::Admin, &Resource::Catalog)?;
        self.inner.import_database(db)
    }
    fn import_table(&self, db: &DatabaseName, image: TableImage) -> Result<()> {
        self.auth.check(Privilege::Admin, &Resource::Catalog)?;
        self.inner.import_table(db, image)
    }
    fn import_partitions(&self, id: &TableIdent, parts: Vec<Partition>) -> Result<()> {
        self.auth.check(Privilege::Admin, &Resource::Catalog)?;
        self.inner.import_partitions(id, parts)
    }
    fn import_function(&self, db: &DatabaseName, f: Function) -> Result<()> {
        self.auth.check(Privilege::Admin, &Resource::Catalog)?;
        self.inner.import_function(db, f)
    }
    fn partitions_examined(&self) -> u64 {
        self.inner.partitions_examined()
    }
    fn stats(&self) -> Result<StoreStats> {
        self.inner.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakecat_catalog_api::memory::MemoryStore;

    #[test]
    fn grants_cover_what_they_name_and_below() {
        let store: Arc<dyn CatalogStore> = Arc::new(MemoryStore::new(10));
        let auth = Arc::new(Authorizer::new(store.clone(), vec!["root".into()]));
        let t = |d: &str, n: &str| Resource::Table(d.into(), n.into());
        run_as(Actor::Principal("root".into()), || {
            auth.change(
                "ann",
                &Resource::Database("sales".into()),
                &[Privilege::Read],
                true,
            )
            .unwrap();
            auth.change(
                "bob",
                &t("sales", "orders"),
                &[Privilege::Read, Privilege::Write],
                true,
            )
            .unwrap();
        });
        assert!(auth
            .allows("ann", Privilege::Read, &t("sales", "x"))
            .unwrap());
        assert!(!auth
            .allows("ann", Privilege::Write, &t("sales", "x"))
            .unwrap());
        assert!(!auth.allows("ann", Privilege::Read, &t("hr", "x")).unwrap());
        assert!(auth
            .allows("bob", Privilege::Write, &t("sales", "orders"))
            .unwrap());
        assert!(!auth
            .allows("bob", Privilege::Read, &t("sales", "other"))
            .unwrap());
        assert!(auth.sees_database("bob", "sales").unwrap());
        assert!(!auth.sees_database("bob", "hr").unwrap());
        // Only administrators change grants; no actor at all is refused.
        let e = run_as(Actor::Principal("ann".into()), || {
            auth.change("ann", &Resource::Catalog, &[Privilege::Admin], true)
        })
        .unwrap_err();
        assert_eq!(e.kind, lakecat_catalog_api::ErrorKind::AccessDenied);
        assert!(auth.check(Privilege::Read, &Resource::Catalog).is_err());
        // Revoking the last privilege removes the grant.
        run_as(Actor::Principal("root".into()), || {
            auth.change(
                "bob",
                &t("sales", "orders"),
                &[Privilege::Read, Privilege::Write],
                false,
            )
            .unwrap();
            assert!(auth.list(Some("bob")).unwrap().is_empty());
        });
    }
}
