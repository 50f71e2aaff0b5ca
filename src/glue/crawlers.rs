//! The Glue crawler and classifier operations (CreateCrawler … UpdateCrawlerSchedule,
//! CreateClassifier … DeleteClassifier) over the crawler service.
//!
//! Shapes convert key by key like the catalog's ([`to_model`], [`to_glue`]); the
//! differences are spelled out: `Schedule` is a cron string on input and an object
//! (`ScheduleExpression`, `State`) on output, updates are partial (fields present
//! replace the stored ones), and tags are not part of a crawler's output.

use super::protocol::{field, string, Failure};
use super::shapes::{to_glue, to_model};
use crate::services::crawlers::Crawlers;
use lakecat_catalog_api::crawlers::{Classifier, CrawlRun, Crawler, Schedule, ScheduleState};
use lakecat_catalog_api::Error;
use serde_json::{json, Map, Value};
use std::sync::Arc;

type R = Result<Value, Failure>;

fn glue_crawler(c: &Crawler) -> Value {
    let mut v = to_glue(serde_json::to_value(c).unwrap_or(Value::Null));
    if let Some(o) = v.as_object_mut() {
        o.remove("Tags");
    }
    v
}

fn glue_run(r: &CrawlRun) -> Value {
    let mut v = json!({
        "CrawlId": r.crawl_id,
        "State": r.state,
        "StartTime": r.start_time,
        "DPUHour": 0.0,
    });
    if let Some(t) = r.end_time {
        v["EndTime"] = json!(t);
    }
    if let Some(s) = &r.summary {
        v["Summary"] = json!(s);
    }
    if let Some(e) = &r.error_message {
        v["ErrorMessage"] = json!(e);
    }
    v
}

/// A crawler input (CreateCrawler, or the fields of UpdateCrawler) as the model's
/// JSON, with the schedule string turned into a schedule object.
fn crawler_fields(v: &Value, state: ScheduleState) -> Result<Map<String, Value>, Error> {
    let mut input = v.clone();
    let schedule = input.as_object_mut().and_then(|o| o.remove("Schedule"));
    let mut m = match to_model(input) {
        Value::Object(m) => m,
        _ => return Err(Error::invalid("the request must be a JSON object")),
    };
    match schedule {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            m.insert(
                "schedule".into(),
                serde_json::to_value(Schedule {
                    schedule_expression: s.trim().to_string(),
                    state,
                })
                .unwrap_or(Value::Null),
            );
        }
        Some(Value::String(_)) | Some(Value::Null) => {
            m.insert("schedule".into(), Value::Null);
        }
        Some(_) => return Err(Error::invalid("Schedule must be a cron(...) string")),
        None => {}
    }
    Ok(m)
}

fn into_crawler(m: Map<String, Value>) -> Result<Crawler, Error> {
    serde_json::from_value(Value::Object(m)).map_err(|e| Error::invalid(format!("crawler: {e}")))
}

/// Offset pages over a short, fully loaded list.
fn offset_page<T>(items: Vec<T>, v: &Value, max: usize) -> Result<(Vec<T>, Option<String>), Error> {
    let limit = match v.get("MaxResults").and_then(Value::as_u64) {
        Some(n) if n == 0 || n as usize > max => {
            return Err(Error::invalid(format!(
                "MaxResults must be between 1 and {max}"
            )))
        }
        Some(n) => n as usize,
        None => max,
    };
    let start = match v.get("NextToken").and_then(Value::as_str) {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| {
            Error::invalid(format!("NextToken {t:?} is not one this server gave out"))
        })?,
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let next = (start + page.len() < total).then(|| (start + page.len()).to_string());
    Ok((page, next))
}

fn with_token(mut v: Value, token: Option<String>) -> Value {
    if let Some(t) = token {
        v["NextToken"] = json!(t);
    }
    v
}

/// Whether a run passes one of ListCrawls' filters.
fn passes(r: &CrawlRun, f: &Value) -> Result<bool, Error> {
    let name = f.get("FieldName").and_then(Value::as_str).unwrap_or("");
    let op = f
        .get("FilterOperator")
        .and_then(Value::as_str)
        .unwrap_or("EQ");
    let value = f.get("FieldValue").and_then(Value::as_str).unwrap_or("");
    let cmp = |o: std::cmp::Ordering| -> Result<bool, Error> {
        use std::cmp::Ordering::*;
        Ok(match op {
            "GT" => o == Greater,
            "GE" => o != Less,
            "LT" => o == Less,
            "LE" => o != Greater,
            "EQ" => o == Equal,
            "NE" => o != Equal,
            other => {
                return Err(Error::invalid(format!(
                    "FilterOperator {other} is not GT, GE, LT, LE, EQ or NE"
                )))
            }
        })
    };
    let time = |t: Option<f64>| -> Result<bool, Error> {
        let want = value
            .parse::<f64>()
            .ok()
            .or_else(|| {
                chrono::DateTime::parse_from_rfc3339(value)
                    .ok()
                    .map(|d| d.timestamp_millis() as f64 / 1000.0)
            })
            .ok_or_else(|| {
                Error::invalid(format!(
                    "FieldValue {value:?} is not a time (epoch seconds or RFC 3339)"
                ))
            })?;
        match t {
            Some(t) => cmp(t.total_cmp(&want)),
            None => Ok(false),
        }
    };
    match name {
        "CRAWL_ID" => cmp(r.crawl_id.as_str().cmp(value)),
        "STATE" => {
            let s = serde_json::to_value(r.state).unwrap_or_default();
            cmp(s.as_str().unwrap_or("").cmp(value))
        }
        "START_TIME" => time(Some(r.start_time)),
        "END_TIME" => time(r.end_time),
        "DPU_HOUR" => cmp(0.0f64.total_cmp(&value.parse::<f64>().unwrap_or(0.0))),
        other => Err(Error::invalid(format!(
            "FieldName {other} is not CRAWL_ID, STATE, START_TIME, END_TIME or DPU_HOUR"
        ))),
    }
}

/// The crawler and classifier operations; `None` for any other operation.
pub(crate) fn dispatch(c: &Arc<Crawlers>, op: &str, v: &Value) -> Option<R> {
    let r = (|| -> R {
        match op {
            "CreateCrawler" => {
                let m = crawler_fields(v, ScheduleState::Scheduled)?;
                c.create(into_crawler(m)?)?;
                Ok(json!({}))
            }
            "GetCrawler" => Ok(json!({"Crawler": glue_crawler(&c.get(&string(v, "Name")?)?)})),
            "GetCrawlers" => {
                let (page, next) = offset_page(c.all_crawlers()?, v, 1000)?;
                let list: Vec<Value> = page.iter().map(glue_crawler).collect();
                Ok(with_token(json!({"Crawlers": list}), next))
            }
            "ListCrawlers" => {
                let mut all = c.all_crawlers()?;
                if let Some(Value::Object(tags)) = v.get("Tags") {
                    all.retain(|cr| {
                        tags.iter()
                            .all(|(k, want)| cr.tags.get(k).map(|x| json!(x)) == Some(want.clone()))
                    });
                }
                let names: Vec<String> = all.into_iter().map(|cr| cr.name).collect();
                let (page, next) = offset_page(names, v, 1000)?;
                Ok(with_token(json!({"CrawlerNames": page}), next))
            }
            "BatchGetCrawlers" => {
                let names: Vec<String> = serde_json::from_value(field(v, "CrawlerNames")?.clone())
                    .map_err(|e| Error::invalid(format!("CrawlerNames: {e}")))?;
                if names.len() > 100 {
                    return Err(Error::invalid("at most 100 CrawlerNames").into());
                }
                let (mut found, mut missing) = (Vec::new(), Vec::new());
                for n in names {
                    match c.get(&n) {
                        Ok(cr) => found.push(glue_crawler(&cr)),
                        Err(e) if e.kind == lakecat_catalog_api::ErrorKind::NotFound => {
                            missing.push(n)
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                Ok(json!({"Crawlers": found, "CrawlersNotFound": missing}))
            }
            "UpdateCrawler" => {
                let name = string(v, "Name")?;
                let cur = c.get(&name)?;
                let state = cur
                    .schedule
                    .as_ref()
                    .map_or(ScheduleState::Scheduled, |s| s.state);
                let mut m = match serde_json::to_value(&cur).unwrap_or_default() {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                for (k, val) in crawler_fields(v, state)? {
                    m.insert(k, val);
                }
                c.update(&name, into_crawler(m)?)?;
                Ok(json!({}))
            }
            "DeleteCrawler" => {
                c.delete(&string(v, "Name")?)?;
                Ok(json!({}))
            }
            "StartCrawler" => {
                c.start(&string(v, "Name")?, "api")?;
                Ok(json!({}))
            }
            "StopCrawler" => {
                c.stop(&string(v, "Name")?)?;
                Ok(json!({}))
            }
            "GetCrawlerMetrics" => {
                let names: Vec<String> = match v.get("CrawlerNameList") {
                    Some(l) if !l.is_null() => serde_json::from_value(l.clone())
                        .map_err(|e| Error::invalid(format!("CrawlerNameList: {e}")))?,
                    _ => c.all_crawlers()?.into_iter().map(|cr| cr.name).collect(),
                };
                let (page, next) = offset_page(names, v, 1000)?;
                let list = page
                    .iter()
                    .map(|n| c.metrics(n))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(with_token(json!({"CrawlerMetricsList": list}), next))
            }
            "ListCrawls" => {
                let runs = c.runs(&string(v, "CrawlerName")?)?;
                let filters = v
                    .get("Filters")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut kept = Vec::new();
                for r in runs {
                    if filters
                        .iter()
                        .map(|f| passes(&r, f))
                        .collect::<Result<Vec<_>, _>>()?
                        .iter()
                        .all(|b| *b)
                    {
                        kept.push(r);
                    }
                }
                let (page, next) = offset_page(kept, v, 1000)?;
                let list: Vec<Value> = page.iter().map(glue_run).collect();
                Ok(with_token(json!({"Crawls": list}), next))
            }
            "StartCrawlerSchedule" => {
                c.set_scheduled(&string(v, "CrawlerName")?, true)?;
                Ok(json!({}))
            }
            "StopCrawlerSchedule" => {
                c.set_scheduled(&string(v, "CrawlerName")?, false)?;
                Ok(json!({}))
            }
            "UpdateCrawlerSchedule" => {
                c.set_schedule(&string(v, "CrawlerName")?, &string(v, "Schedule")?)?;
                Ok(json!({}))
            }
            "CreateClassifier" => {
                let cl: Classifier = serde_json::from_value(to_model(v.clone()))
                    .map_err(|e| Error::invalid(format!("classifier: {e}")))?;
                c.create_classifier(cl)?;
                Ok(json!({}))
            }
            "GetClassifier" => {
                let cl = c.get_classifier(&string(v, "Name")?)?;
                Ok(json!({"Classifier": to_glue(serde_json::to_value(cl).unwrap_or_default())}))
            }
            "GetClassifiers" => {
                let (page, next) = offset_page(c.all_classifiers()?, v, 1000)?;
                let list: Vec<Value> = page
                    .into_iter()
                    .map(|cl| to_glue(serde_json::to_value(cl).unwrap_or_default()))
                    .collect();
                Ok(with_token(json!({"Classifiers": list}), next))
            }
            "UpdateClassifier" => {
                // Partial: the given fields replace the stored classifier's.
                let input = match to_model(v.clone()) {
                    Value::Object(m) => m,
                    _ => return Err(Error::invalid("the request must be a JSON object").into()),
                };
                let (kind, fields) = input
                    .into_iter()
                    .find(|(k, _)| k.ends_with("_classifier"))
                    .ok_or_else(|| {
                        Error::invalid(
                            "UpdateClassifier needs one of CsvClassifier, JsonClassifier, GrokClassifier, XMLClassifier",
                        )
                    })?;
                let name = fields
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::invalid(format!("{kind}: Name is required")))?
                    .to_string();
                let cur = serde_json::to_value(c.get_classifier(&name)?).unwrap_or_default();
                let mut merged = cur.get(&kind).cloned().unwrap_or_else(|| json!({}));
                if let (Some(m), Value::Object(f)) = (merged.as_object_mut(), fields) {
                    for (k, val) in f {
                        m.insert(k, val);
                    }
                }
                let cl: Classifier = serde_json::from_value(json!({ kind: merged }))
                    .map_err(|e| Error::invalid(format!("classifier: {e}")))?;
                c.update_classifier(cl)?;
                Ok(json!({}))
            }
            "DeleteClassifier" => {
                c.delete_classifier(&string(v, "Name")?)?;
                Ok(json!({}))
            }
            other => Err(Failure::Unknown(other.to_string())),
        }
    })();
    match r {
        Err(Failure::Unknown(_)) => None,
        r => Some(r),
    }
}
