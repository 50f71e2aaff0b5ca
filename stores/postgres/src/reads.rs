//! GetTable for async callers: a few connections of their own, on which
//! concurrent requests are pipelined (tokio-postgres sends a query without
//! waiting for the previous answer), so a request waits on the database
//! without holding a runtime thread. The blocking pool behind every other call
//! hands each request to another thread and back, which on a small machine
//! cost more than the query (see docs/benchmarks.md).

use crate::{connection_lost, pe, tls::Rustls};
use lakecat_catalog_api::error::{Error, ErrorKind, Result};
use lakecat_catalog_api::names::TableIdent;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio_postgres::{Client, NoTls, Statement};

const GET_TABLE: &str = "SELECT doc FROM lc_tables WHERE db = $1 AND name = $2";
/// Pipelining keeps each connection busy; a few spread the database's work
/// over its processes.
const CONNECTIONS: usize = 4;

pub(crate) struct Reads {
    config: tokio_postgres::Config,
    tls: Option<Rustls>,
    slots: Vec<Slot>,
    next: AtomicUsize,
}

#[derive(Default)]
struct Slot {
    live: Mutex<Option<Arc<Conn>>>,
    /// One connection attempt at a time per slot, however many requests wait.
    connecting: tokio::sync::Mutex<()>,
}

struct Conn {
    client: Client,
    get_table: Statement,
}

impl Reads {
    pub(crate) fn new(config: tokio_postgres::Config, tls: Option<Rustls>) -> Reads {
        Reads {
            config,
            tls,
            slots: (0..CONNECTIONS).map(|_| Slot::default()).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// The table's document, `None` when there is no such table.
    pub(crate) async fn table_doc(&self, id: &TableIdent) -> Result<Option<String>> {
        let slot = &self.slots[self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        // A connection the database dropped (a restart) shows it when used: the
        // query is asked again once on a fresh one, as the blocking path does.
        for attempt in 0..2 {
            let c = self.conn(slot).await?;
            match c
                .client
                .query_opt(&c.get_table, &[&id.database.as_str(), &id.name.as_str()])
                .await
            {
                Ok(row) => return Ok(row.map(|r| r.get(0))),
                Err(e) if attempt == 0 && connection_lost(&e) => {
                    *slot.live.lock().unwrap_or_else(|p| p.into_inner()) = None;
                }
                Err(e) => return Err(pe(e)),
            }
        }
        unreachable!("the second attempt returns")
    }

    async fn conn(&self, slot: &Slot) -> Result<Arc<Conn>> {
        let live = || {
            slot.live
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
                .filter(|c| !c.client.is_closed())
        };
        if let Some(c) = live() {
            return Ok(c);
        }
        let _one = slot.connecting.lock().await;
        if let Some(c) = live() {
            return Ok(c);
        }
        let c = Arc::new(self.connect().await?);
        *slot.live.lock().unwrap_or_else(|p| p.into_inner()) = Some(c.clone());
        Ok(c)
    }

    async fn connect(&self) -> Result<Conn> {
        let unreachable = |e: tokio_postgres::Error| {
            Error::new(
                ErrorKind::Unavailable,
                format!("the catalog database cannot be reached: {e}"),
            )
        };
        // The connection's I/O runs as a task of the runtime that asked; it ends
        // when the client is dropped or the database goes away.
        let client = match &self.tls {
            Some(tls) => {
                let (client, conn) = self
                    .config
                    .connect(tls.clone())
                    .await
                    .map_err(unreachable)?;
                tokio::spawn(async move { drop(conn.await) });
                client
            }
            None => {
                let (client, conn) = self.config.connect(NoTls).await.map_err(unreachable)?;
                tokio::spawn(async move { drop(conn.await) });
                client
            }
        };
        let get_table = client.prepare(GET_TABLE).await.map_err(pe)?;
        Ok(Conn { client, get_table })
    }
}
