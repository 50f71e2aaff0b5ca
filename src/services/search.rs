//! `GET /v1/search/tables`: tables whose database, name, columns or parameters
//! mention every word of the query. A scan of the catalog; fine for the tens of
//! thousands of tables a catalog holds, and exact.

use lakecat_catalog_api::kv::keys::{token_decode, token_encode};
use lakecat_catalog_api::model::Table;
use lakecat_catalog_api::store::{CatalogStore, Page, PageRequest};
use lakecat_catalog_api::{Error, Result};

fn matches(t: &Table, words: &[String]) -> bool {
    let mut hay = vec![
        t.database_name
            .as_ref()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        t.name.to_string(),
    ];
    if let Some(d) = &t.description {
        hay.push(d.clone());
    }
    for c in t.columns().iter().chain(&t.partition_keys) {
        hay.push(c.name.clone());
        hay.extend(c.comment.clone());
    }
    for (k, v) in &t.parameters {
        hay.push(format!("{k}={v}"));
    }
    let hay = hay.join("\n").to_lowercase();
    words.iter().all(|w| hay.contains(w.as_str()))
}

/// Results are ordered by (database, table); the page token is the last pair returned.
pub fn search_tables(store: &dyn CatalogStore, q: &str, page: &PageRequest) -> Result<Page<Table>> {
    let words: Vec<String> = q.split_whitespace().map(|w| w.to_lowercase()).collect();
    let after: Option<(String, String)> = match &page.token {
        None => None,
        Some(t) => {
            let bad =
                || Error::invalid(format!("page token {t:?} is not one this server gave out"));
            let raw = String::from_utf8(token_decode(t).ok_or_else(bad)?).map_err(|_| bad())?;
            let (d, n) = raw.split_once('\0').ok_or_else(bad)?;
            Some((d.to_string(), n.to_string()))
        }
    };
    let limit = page.limit.max(1);
    let mut items: Vec<Table> = Vec::new();
    let mut dbs = PageRequest::first(1000);
    loop {
        let dpage = store.list_databases(&dbs)?;
        for db in &dpage.items {
            if after
                .as_ref()
                .is_some_and(|(d, _)| db.name.as_str() < d.as_str())
            {
                continue;
            }
            let mut tp = PageRequest::first(1000);
            loop {
                let tpage = match store.list_tables(&db.name, None, &tp) {
                    Ok(p) => p,
                    // Dropped while we were scanning.
                    Err(e) if e.kind == lakecat_catalog_api::ErrorKind::NotFound => break,
                    Err(e) => return Err(e),
                };
                for t in tpage.items {
                    let key = (db.name.to_string(), t.name.to_string());
                    if after.as_ref().is_some_and(|a| &key <= a) || !matches(&t, &words) {
                        continue;
                    }
                    if items.len() == limit {
                        let last = items.last().expect("limit >= 1");
                        let tok = format!(
                            "{}\0{}",
                            last.database_name
                                .as_ref()
                                .map(|d| d.as_str())
                                .unwrap_or(""),
                            last.name
                        );
                        return Ok(Page {
                            items,
                            next_token: Some(token_encode(tok.as_bytes())),
                        });
                    }
                    items.push(t);
                }
                match tpage.next_token {
                    Some(t) => tp.token = Some(t),
                    None => break,
                }
            }
        }
        match dpage.next_token {
            Some(t) => dbs.token = Some(t),
            None => {
                return Ok(Page {
                    items,
                    next_token: None,
                })
            }
        }
    }
}
