//! Pooled connections that keep their prepared statements. A statement given
//! as text is prepared once per connection and reused: a query then costs one
//! round trip instead of two (the postgres crate prepares text anew each time).

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement, Transaction};
use std::collections::HashMap;

pub struct PgConn {
    pub client: Client,
    pub stmts: HashMap<&'static str, Statement>,
}

pub struct Manager {
    config: postgres::Config,
    tls: Option<crate::tls::Rustls>,
}

impl Manager {
    pub fn new(config: postgres::Config, tls: Option<crate::tls::Rustls>) -> Self {
        Manager { config, tls }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        let client = match &self.tls {
            Some(tls) => self.config.connect(tls.clone())?,
            None => self.config.connect(NoTls)?,
        };
        Ok(PgConn {
            client,
            stmts: HashMap::new(),
        })
    }

    fn is_valid(&self, c: &mut PgConn) -> Result<(), postgres::Error> {
        c.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, c: &mut PgConn) -> bool {
        c.client.is_closed()
    }
}

enum Inner<'a, 't> {
    Client(&'a mut Client),
    Tx(&'a mut Transaction<'t>),
}

/// A connection (or a transaction on one) with its statement cache: the
/// methods the store uses, with SQL given as text.
pub struct Cx<'a, 't> {
    inner: Inner<'a, 't>,
    stmts: &'a mut HashMap<&'static str, Statement>,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl<'a, 't> Cx<'a, 't> {
    pub fn client(c: &'a mut Client, stmts: &'a mut HashMap<&'static str, Statement>) -> Self {
        Cx {
            inner: Inner::Client(c),
            stmts,
        }
    }

    pub fn tx(t: &'a mut Transaction<'t>, stmts: &'a mut HashMap<&'static str, Statement>) -> Self {
        Cx {
            inner: Inner::Tx(t),
            stmts,
        }
    }

    fn statement(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        let s = match &mut self.inner {
            Inner::Client(c) => c.prepare(sql)?,
            Inner::Tx(t) => t.prepare(sql)?,
        };
        self.stmts.insert(sql, s.clone());
        Ok(s)
    }

    pub fn query(&mut self, sql: &'static str, p: Params) -> Result<Vec<Row>, postgres::Error> {
        let s = self.statement(sql)?;
        match &mut self.inner {
            Inner::Client(c) => c.query(&s, p),
            Inner::Tx(t) => t.query(&s, p),
        }
    }

    pub fn query_opt(
        &mut self,
        sql: &'static str,
        p: Params,
    ) -> Result<Option<Row>, postgres::Error> {
        let s = self.statement(sql)?;
        match &mut self.inner {
            Inner::Client(c) => c.query_opt(&s, p),
            Inner::Tx(t) => t.query_opt(&s, p),
        }
    }

    pub fn query_one(&mut self, sql: &'static str, p: Params) -> Result<Row, postgres::Error> {
        let s = self.statement(sql)?;
        match &mut self.inner {
            Inner::Client(c) => c.query_one(&s, p),
            Inner::Tx(t) => t.query_one(&s, p),
        }
    }

    pub fn execute(&mut self, sql: &'static str, p: Params) -> Result<u64, postgres::Error> {
        let s = self.statement(sql)?;
        match &mut self.inner {
            Inner::Client(c) => c.execute(&s, p),
            Inner::Tx(t) => t.execute(&s, p),
        }
    }
}
