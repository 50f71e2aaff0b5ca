//! Typed, validated names. Glue and Hive compare names case-insensitively and store
//! them lower case; doing that once here means no lookup anywhere can forget it.

use crate::error::{Error, Result};
use crate::limits::MAX_NAME_LEN;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Checks Glue's "single-line string" rule and the length limit, and lower-cases.
/// `what` names the field in the error ("database name", "column name", …).
pub fn normalize_name(what: &str, raw: &str) -> Result<String> {
    let len = raw.chars().count();
    if len == 0 {
        return Err(Error::invalid(format!("{what} must not be empty")));
    }
    if len > MAX_NAME_LEN {
        return Err(Error::invalid(format!(
            "{what} '{}…' is {len} characters long; the limit is {MAX_NAME_LEN}",
            raw.chars().take(20).collect::<String>()
        )));
    }
    if let Some((i, c)) = raw
        .char_indices()
        .find(|(_, c)| c.is_control() && *c != '\t')
    {
        return Err(Error::invalid(format!(
            "{what} {raw:?} contains the control character {c:?} at byte {i}; names must be a single line"
        )));
    }
    Ok(raw.to_lowercase())
}

macro_rules! name_type {
    ($ty:ident, $what:literal) => {
        #[doc = concat!("A validated, lower-cased ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $ty(String);

        impl $ty {
            pub fn new(raw: &str) -> Result<Self> {
                normalize_name($what, raw).map($ty)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $ty::new(&s).map_err(|e| serde::de::Error::custom(e.message))
            }
        }
    };
}

name_type!(DatabaseName, "database name");
name_type!(TableName, "table name");

/// A table's full identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableIdent {
    pub database: DatabaseName,
    pub name: TableName,
}

impl TableIdent {
    pub fn new(database: DatabaseName, name: TableName) -> Self {
        TableIdent { database, name }
    }
    pub fn parse(database: &str, name: &str) -> Result<Self> {
        Ok(TableIdent {
            database: DatabaseName::new(database)?,
            name: TableName::new(name)?,
        })
    }
}

impl fmt::Display for TableIdent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.database, self.name)
    }
}

/// The name patterns of the Hive Metastore's `get_tables`/`get_databases`, Hive's
/// `SHOW … 'pattern'` and Glue's `GetTables` `Expression`: alternatives split on
/// `|`, each a regular expression in which `*` stands for any characters
/// (`sal*`, `*ale*`), matched against the whole name, ignoring case. This is
/// Hive's ObjectStore rule (`subpattern.replaceAll("\\*", ".*")`), which Glue
/// follows: awswrangler's `name_contains="ale"` sends `*ale*`.
pub fn name_pattern(p: &str) -> Result<regex::Regex> {
    let alts: Vec<String> = p.split('|').map(|a| a.trim().replace('*', ".*")).collect();
    regex::RegexBuilder::new(&format!("^(?:{})$", alts.join("|")))
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            Error::invalid(format!(
                "pattern {p:?} is not a valid name pattern (a regular expression with * for any characters): {}",
                e.to_string().lines().last().unwrap_or_default()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lower_cased_and_checked() {
        assert_eq!(DatabaseName::new("Sales_DB").unwrap().as_str(), "sales_db");
        assert!(DatabaseName::new("")
            .unwrap_err()
            .message
            .contains("must not be empty"));
        let long = "a".repeat(256);
        assert!(TableName::new(&long)
            .unwrap_err()
            .message
            .contains("limit is 255"));
        assert!(TableName::new(&"a".repeat(255)).is_ok());
        let e = TableName::new("a\nb").unwrap_err();
        assert!(e.message.contains("single line"), "{}", e.message);
        // Glue allows any single-line text, including punctuation and non-ASCII.
        assert_eq!(
            TableName::new("Ünïcode-tbl.x").unwrap().as_str(),
            "ünïcode-tbl.x"
        );
    }

    #[test]
    fn deserialising_validates() {
        let e = serde_json::from_str::<DatabaseName>("\"\"").unwrap_err();
        assert!(e.to_string().contains("must not be empty"));
        let n: DatabaseName = serde_json::from_str("\"ABC\"").unwrap();
        assert_eq!(n.as_str(), "abc");
    }

    #[test]
    fn name_patterns_follow_hive_and_glue() {
        let m = |p: &str, n: &str| name_pattern(p).unwrap().is_match(n);
        assert!(m("sal*", "sales"));
        assert!(!m("sal*", "sa"));
        assert!(m("*ale*", "sales") && m("*ale*", "ale"));
        assert!(m("*les", "sales") && !m("*les", "salesx"));
        assert!(m("sales|orders", "ORDERS"));
        assert!(m("sales_.*", "sales_2024"));
        assert!(m("*", "anything"));
        assert!(!m("sales", "sales2"));
        assert!(name_pattern("sales(")
            .unwrap_err()
            .message
            .contains("not a valid name pattern"));
    }
}

/// Hive's `FileUtils.escapePathName`: control characters and
/// `"#%'*/:=?\{[]^` and DEL become `%XX`, so a value is one path segment.
pub fn escape_path_name(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if (c as u32) < 0x20 || "\"#%'*/:=?\\\u{7f}{[]^".contains(c) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The inverse of [`escape_path_name`] (Hive's `unescapePathName`).
pub fn unescape_path_name(v: &str) -> String {
    percent_encoding::percent_decode_str(v)
        .decode_utf8_lossy()
        .into_owned()
}

/// Hive's partition name (`FileUtils.makePartName`): `k1=v1/k2=v2`, keys and
/// values escaped.
pub fn partition_name<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", escape_path_name(k), escape_path_name(v)))
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod path_name_tests {
    use super::*;

    #[test]
    fn hive_path_escaping_round_trips() {
        let v = "2024-01-01 12:00/a=b%c#\u{1}ü";
        let e = escape_path_name(v);
        assert_eq!(e, "2024-01-01 12%3A00%2Fa%3Db%25c%23%01ü");
        assert_eq!(unescape_path_name(&e), v);
        assert_eq!(partition_name([("dt", "x/y"), ("h", "1")]), "dt=x%2Fy/h=1");
    }
}
