//! SearchTables.

use super::protocol::{page, with_token, Failure, R};
use super::shapes::glue_table;
use lakecat_catalog_api::model::Table;
use lakecat_catalog_api::store::CatalogStore;
use lakecat_catalog_api::Error;
use serde_json::{json, Value};

pub fn call(store: &dyn CatalogStore, op: &str, v: &Value) -> R {
    match op {
        "SearchTables" => search_tables(store, v),
        other => Err(Failure::Unknown(other.to_string())),
    }
}

/// Glue's fuzzy name match: the field is split on punctuation into tokens, and a
/// value matches when it equals one of them (`link` matches `customer-link`, not
/// `xxlinkyy`), case-insensitively.
fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn token_match(field: &str, value: &str) -> bool {
    let want = tokens(value);
    let have = tokens(field);
    !want.is_empty() && want.iter().all(|w| have.contains(w))
}

/// `SearchTables` over every database: `SearchText` (tokens matched against the
/// table's and database's names, description and column names; in double quotes, the
/// whole name exactly), `Filters` (`Name`, `DatabaseName`, `Description`, `TableType` by
/// token match; `CreateTime`/`UpdateTime` with a comparator; any other key a table
/// parameter that must equal the value), `SortCriteria` on `Name`, `CreateTime` or
/// `UpdateTime`, pages of at most 1,000.
fn search_tables(store: &dyn CatalogStore, v: &Value) -> R {
    let mut tables = Vec::new();
    for db in lakecat_catalog_api::store::all_databases(store)? {
        tables.extend(lakecat_catalog_api::store::all_tables(
            store, &db.name, None,
        )?);
    }
    if let Some(text) = v
        .get("SearchText")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
    {
        let text = text.trim();
        if let Some(exact) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            tables.retain(|t| t.name.as_str().eq_ignore_ascii_case(exact));
        } else {
            tables.retain(|t| {
                let mut hay = format!(
                    "{} {} {}",
                    t.name,
                    t.database_name.as_ref().map(|d| d.as_str()).unwrap_or(""),
                    t.description.as_deref().unwrap_or("")
                );
                for c in t.columns().iter().chain(&t.partition_keys) {
                    hay.push(' ');
                    hay.push_str(&c.name);
                }
                token_match(&hay, text)
            });
        }
    }
    for f in v
        .get("Filters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let key = f
            .get("Key")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let value = f
            .get("Value")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let cmp = f
            .get("Comparator")
            .and_then(Value::as_str)
            .unwrap_or("EQUALS")
            .to_string();
        let time = |t: &Table| match key.as_str() {
            "CreateTime" => Some(t.create_time),
            "UpdateTime" => Some(t.update_time),
            _ => None,
        };
        let bound: Option<i64> = if key == "CreateTime" || key == "UpdateTime" {
            Some(value.parse::<f64>().map(|x| x as i64).map_err(|_| {
                Error::invalid(format!("filter {key}: {value:?} is not epoch seconds"))
            })?)
        } else {
            None
        };
        tables.retain(|t| match (time(t), bound) {
            (Some(x), Some(b)) => match cmp.as_str() {
                "GREATER_THAN" => x > b,
                "LESS_THAN" => x < b,
                "GREATER_THAN_EQUALS" => x >= b,
                "LESS_THAN_EQUALS" => x <= b,
                _ => x == b,
            },
            _ => match key.as_str() {
                "Name" => token_match(t.name.as_str(), &value),
                "DatabaseName" => t
                    .database_name
                    .as_ref()
                    .is_some_and(|d| token_match(d.as_str(), &value)),
                "Description" => token_match(t.description.as_deref().unwrap_or(""), &value),
                "TableType" => t
                    .table_type
                    .is_some_and(|x| x.as_str().eq_ignore_ascii_case(&value)),
                other => t.parameters.get(other) == Some(&value),
            },
        });
    }
    let sort = v
        .get("SortCriteria")
        .and_then(Value::as_array)
        .and_then(|a| a.first().cloned());
    let field_name = sort
        .as_ref()
        .and_then(|s| s.get("FieldName"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let desc = sort
        .as_ref()
        .and_then(|s| s.get("Sort"))
        .and_then(Value::as_str)
        == Some("DESC");
    tables.sort_by(|a, b| {
        let key = |t: &Table| match field_name {
            "CreateTime" => (t.create_time, String::new(), String::new()),
            "UpdateTime" => (t.update_time, String::new(), String::new()),
            _ => (
                0,
                t.name.as_str().to_string(),
                t.database_name
                    .as_ref()
                    .map(|d| d.as_str().to_string())
                    .unwrap_or_default(),
            ),
        };
        let (ka, kb) = (key(a), key(b));
        let o = ka.cmp(&kb).then_with(|| {
            (
                a.database_name.as_ref().map(|d| d.as_str()),
                a.name.as_str(),
            )
                .cmp(&(
                    b.database_name.as_ref().map(|d| d.as_str()),
                    b.name.as_str(),
                ))
        });
        if desc {
            o.reverse()
        } else {
            o
        }
    });
    let p = page(v, 1000)?;
    let start = match &p.token {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| {
            Error::invalid(format!("NextToken {t:?} is not one this server gave out"))
        })?,
    };
    let end = (start + p.limit).min(tables.len());
    let list: Vec<Value> = tables
        .get(start..end)
        .unwrap_or(&[])
        .iter()
        .map(glue_table)
        .collect();
    let next = (end < tables.len()).then(|| end.to_string());
    Ok(with_token(json!({"TableList": list}), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glue_name_matching_is_by_token() {
        assert!(token_match("customer-link", "link"));
        assert!(token_match("xx-link-yy", "LINK"));
        assert!(!token_match("xxlinkyy", "link"));
        assert!(token_match("sales_2024 orders", "orders 2024"));
        assert!(!token_match("a", ""));
    }
}
