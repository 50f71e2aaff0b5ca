//! AWS cron schedules (`cron(Minutes Hours Day-of-month Month Day-of-week Year)`,
//! UTC) for crawlers, evaluated with croner.
//!
//! croner does the calendar work (`L`, `W`, `#`, names, Quartz-style weekdays
//! 1 = SUN … 7 = SAT as AWS numbers them); this module adds AWS's own rules on
//! top: exactly six fields, `?` in exactly one of the two day fields, years
//! 1970–2199, and at most one run every five minutes. croner refuses `N/step`
//! without a range, which AWS allows, so that is rewritten as `N-max/step`.

use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

/// Glue's shortest allowed interval between two runs of a crawler.
pub const MIN_INTERVAL_SECS: i64 = 300;

#[derive(Debug, Clone)]
pub struct Schedule {
    pub expression: String,
    cron: Cron,
}

fn invalid(expr: &str, why: impl std::fmt::Display) -> String {
    format!("Invalid schedule expression {expr:?}: {why}")
}

impl Schedule {
    /// Parses `cron(…)` as AWS does.
    pub fn parse(expression: &str) -> Result<Schedule, String> {
        let e = expression.trim();
        let body = e
            .strip_prefix("cron(")
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(|| {
                invalid(
                    e,
                    "expected cron(Minutes Hours Day-of-month Month Day-of-week Year)",
                )
            })?;
        let fields: Vec<&str> = body.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(invalid(
                e,
                format!("{} fields where AWS cron has 6", fields.len()),
            ));
        }
        let (dom, dow) = (fields[2], fields[4]);
        if (dom == "?") == (dow == "?") {
            return Err(invalid(
                e,
                "exactly one of Day-of-month and Day-of-week must be ?",
            ));
        }
        for y in fields[5]
            .split([',', '-', '/'])
            .filter_map(|p| p.parse::<i64>().ok())
            .filter(|n| *n >= 1000)
        {
            if !(1970..=2199).contains(&y) {
                return Err(invalid(e, format!("year {y} is outside 1970-2199")));
            }
        }
        let max = ["59", "23", "31", "12", "7", "2199"];
        let rewritten: Vec<String> = fields
            .iter()
            .zip(max)
            .map(|(f, max)| {
                f.split(',')
                    .map(|part| match part.split_once('/') {
                        Some((start, step)) if !start.contains('-') && start != "*" => {
                            format!("{start}-{max}/{step}")
                        }
                        _ => part.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        let pattern = format!("0 {}", rewritten.join(" "));
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .year(Year::Required)
            .alternative_weekdays(true)
            .build()
            .parse(&pattern)
            .map_err(|err| invalid(e, err))?;
        let s = Schedule {
            expression: e.to_string(),
            cron,
        };
        s.check_interval()?;
        Ok(s)
    }

    /// The first run strictly after `t`, if the schedule has one.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&t, false).ok()
    }

    /// AWS refuses schedules that run more often than every five minutes; checked
    /// over the next runs from now (a schedule's gaps repeat within a day or so).
    fn check_interval(&self) -> Result<(), String> {
        let mut t = Utc::now();
        let mut prev: Option<DateTime<Utc>> = None;
        for _ in 0..50 {
            let Some(n) = self.next_after(t) else { break };
            if let Some(p) = prev {
                if (n - p).num_seconds() < MIN_INTERVAL_SECS {
                    return Err(invalid(
                        &self.expression,
                        "a crawler may run at most once every 5 minutes",
                    ));
                }
            }
            prev = Some(n);
            t = n;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn next_fire_times() {
        // Start: Wednesday 2024-01-10 10:07:30 UTC.
        let from = Utc.with_ymd_and_hms(2024, 1, 10, 10, 7, 30).unwrap();
        for (expr, next) in [
            ("cron(15 12 * * ? *)", "2024-01-10T12:15:00Z"),
            ("cron(0/15 * * * ? *)", "2024-01-10T10:15:00Z"),
            ("cron(5/15 * * * ? *)", "2024-01-10T10:20:00Z"),
            ("cron(0 18 ? * MON-FRI *)", "2024-01-10T18:00:00Z"),
            ("cron(0 8 1 * ? *)", "2024-02-01T08:00:00Z"),
            ("cron(0 0 L * ? *)", "2024-01-31T00:00:00Z"),
            ("cron(0 9 ? * 2#1 *)", "2024-02-05T09:00:00Z"), // first Monday
            ("cron(0 9 ? * 6L *)", "2024-01-26T09:00:00Z"),  // last Friday
            ("cron(0 9 15W * ? *)", "2024-01-15T09:00:00Z"),
            ("cron(30 6 ? * 1 *)", "2024-01-14T06:30:00Z"), // 1 = Sunday
            ("cron(0 12 1 JAN ? 2025)", "2025-01-01T12:00:00Z"),
            ("cron(0,30 9-10 * * ? *)", "2024-01-10T10:30:00Z"),
        ] {
            let s = Schedule::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
            assert_eq!(s.next_after(from), Some(at(next)), "{expr}");
        }
    }

    #[test]
    fn aws_rules_are_enforced() {
        for (expr, needle) in [
            ("15 12 * * ? *", "expected cron("),
            ("cron(15 12 * * ?)", "5 fields"),
            ("cron(15 12 * * * *)", "exactly one of"),
            ("cron(15 12 ? * ? *)", "exactly one of"),
            ("cron(* * * * ? *)", "every 5 minutes"),
            ("cron(0/2 * * * ? *)", "every 5 minutes"),
            ("cron(0 0 1 1 ? 2300)", "outside 1970-2199"),
            ("cron(61 * * * ? *)", "Invalid schedule expression"),
        ] {
            let e = Schedule::parse(expr).unwrap_err();
            assert!(e.contains(needle), "{expr}: {e}");
        }
        assert!(Schedule::parse("cron(0/5 * * * ? *)").is_ok());
    }
}
