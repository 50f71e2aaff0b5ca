//! Custom classifiers (Glue's CSV, JSON and grok classifiers): rules a crawler tries, in
//! its order, before the built-in recognition. The first that recognises a file
//! decides how it is read; a file none recognises is read the built-in way.
//!
//! - A CSV classifier fixes the delimiter and quote, whether the first row is a
//!   header (or gives the column names outright) and which SerDe the table gets. It
//!   recognises a delimited text file whose sampled rows all have the same number of
//!   fields (at least two, unless single-column files are allowed).
//! - A JSON classifier's JsonPath (`$[*]`, `$.records[*]`, `$.data`) says where the
//!   records are in each JSON document. It recognises a JSON file whose documents
//!   have something at that path.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderRule {
    /// Decided by lakecat's header rule.
    Unknown,
    Present,
    Absent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvSerde {
    /// Whichever the file needs (quoted fields → OpenCSVSerde).
    Any,
    OpenCsv,
    LazySimple,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRule {
    pub delimiter: Option<u8>,
    pub quote: Option<u8>,
    pub header: HeaderRule,
    /// Column names given by the classifier (Glue's `Header`).
    pub names: Vec<String>,
    pub serde: CsvSerde,
    pub allow_single_column: bool,
}

impl Default for CsvRule {
    fn default() -> Self {
        CsvRule {
            delimiter: None,
            quote: None,
            header: HeaderRule::Unknown,
            names: Vec::new(),
            serde: CsvSerde::Any,
            allow_single_column: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Key(String),
    /// `[*]`: every element of an array.
    Each,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonRule {
    pub path: Vec<PathStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Csv(CsvRule),
    Json(JsonRule),
    Grok(crate::grok::GrokRule),
    Xml(XmlRule),
}

/// Glue's `XMLClassifier`: rows are the elements named `row_tag`; tables are
/// classified `classification`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlRule {
    pub classification: String,
    pub row_tag: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomClassifier {
    pub name: String,
    pub rule: Rule,
}

impl JsonRule {
    /// Parses the JsonPath subset Glue's JSON classifiers use: `$`, then `.key`,
    /// `['key']` and `[*]` steps.
    pub fn parse(path: &str) -> Result<JsonRule, String> {
        let p = path.trim();
        let mut rest = p
            .strip_prefix('$')
            .ok_or_else(|| format!("JsonPath {p:?} must start with $"))?;
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("[*]") {
                steps.push(PathStep::Each);
                rest = r;
            } else if let Some(r) = rest.strip_prefix("['") {
                let end = r
                    .find("']")
                    .ok_or_else(|| format!("JsonPath {p:?}: unclosed ['…']"))?;
                steps.push(PathStep::Key(r[..end].to_string()));
                rest = &r[end + 2..];
            } else if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                if end == 0 {
                    return Err(format!("JsonPath {p:?}: empty key"));
                }
                steps.push(PathStep::Key(r[..end].to_string()));
                rest = &r[end..];
            } else {
                return Err(format!(
                    "JsonPath {p:?}: only .key, ['key'] and [*] steps are supported"
                ));
            }
        }
        Ok(JsonRule { path: steps })
    }

    /// The records the path selects in one document.
    pub fn select(&self, doc: &Value, out: &mut Vec<Value>) {
        fn walk(v: &Value, steps: &[PathStep], out: &mut Vec<Value>) {
            match steps.split_first() {
                None => out.push(v.clone()),
                Some((PathStep::Key(k), rest)) => {
                    if let Some(x) = v.get(k) {
                        walk(x, rest, out);
                    }
                }
                Some((PathStep::Each, rest)) => {
                    if let Some(a) = v.as_array() {
                        for x in a {
                            walk(x, rest, out);
                        }
                    }
                }
            }
        }
        walk(doc, &self.path, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths() {
        let r = JsonRule::parse("$.data['items'][*]").unwrap();
        assert_eq!(
            r.path,
            vec![
                PathStep::Key("data".into()),
                PathStep::Key("items".into()),
                PathStep::Each
            ]
        );
        let doc: Value = serde_json::from_str(r#"{"data":{"items":[{"a":1},{"a":2}]}}"#).unwrap();
        let mut out = Vec::new();
        r.select(&doc, &mut out);
        assert_eq!(out.len(), 2);
        assert!(JsonRule::parse("data").is_err());
        assert!(JsonRule::parse("$..a").is_err());
        assert_eq!(JsonRule::parse("$").unwrap().path, vec![]);
    }
}
