//! The page shell every console page shares, and the small helpers pages use to
//! link to each other.

use crate::http::AppState;
use axum::extract::FromRequestParts;
use maud::{html, Markup, DOCTYPE};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Who is looking: shown in the header, with a sign-out button when the server
/// authenticates.
#[derive(Clone, Default)]
pub struct Viewer {
    pub principal: Option<String>,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Viewer {
            principal: parts
                .extensions
                .get::<crate::http::audit::Principal>()
                .map(|p| p.0.clone()),
        })
    }
}

/// A whole page: header with navigation and search, then `body`.
pub fn page(viewer: &Viewer, title: &str, body: Markup) -> Markup {
    shell(viewer, title, None, body)
}

/// A page that reloads itself every `secs` seconds (a crawl being watched),
/// without any script.
pub fn refreshing(viewer: &Viewer, title: &str, secs: u32, body: Markup) -> Markup {
    shell(viewer, title, Some(secs), body)
}

fn shell(viewer: &Viewer, title: &str, refresh: Option<u32>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(secs) = refresh { meta http-equiv="refresh" content=(secs); }
                title { (title) " · lakecat" }
                link rel="stylesheet" href="/ui/static/console.css";
                link rel="icon" href="/ui/static/favicon.svg" type="image/svg+xml";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    nav aria-label="Console" {
                        a.brand href="/ui" { "lakecat" }
                        a href="/ui" { "Databases" }
                        a href="/ui/crawlers" { "Crawlers" }
                        a href="/ui/ddl" { "DDL" }
                    }
                    form.search role="search" action="/ui/search" method="get" {
                        label for="q" { "Search tables" }
                        input #q type="search" name="q" placeholder="names, columns, parameters";
                        button type="submit" { "Search" }
                    }
                    @if let Some(who) = &viewer.principal {
                        form.session action="/ui/logout" method="post" {
                            span { "Signed in as " strong { (who) } }
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    }
}

/// Characters left as they are in a path segment; everything else is escaped.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// A query-string value.
pub fn q(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn database_url(db: &str) -> String {
    format!("/ui/databases/{}", seg(db))
}

pub fn table_url(db: &str, table: &str) -> String {
    format!("/ui/databases/{}/tables/{}", seg(db), seg(table))
}

pub fn crawler_url(name: &str) -> String {
    format!("/ui/crawlers/{}", seg(name))
}

/// Seconds since the epoch as UTC text; 0 (never set) as a dash.
pub fn time(secs: i64) -> String {
    if secs <= 0 {
        return "—".into();
    }
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| secs.to_string())
}

/// A count read up to a cap, so that pages stay fast on huge tables.
pub fn capped(n: usize, cap: usize) -> String {
    if n > cap {
        format!("more than {cap}")
    } else {
        n.to_string()
    }
}

/// A link to the next page of a listing, keeping the view's other parameters.
pub fn next_page(base: &str, params: &[(&str, &str)], token: Option<&str>) -> Markup {
    let Some(t) = token else {
        return html! {};
    };
    let mut url = format!("{base}?page_token={}", q(t));
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        url.push_str(&format!("&{k}={}", q(v)));
    }
    html! { p.pager { a rel="next" href=(url) { "Next page →" } } }
}

/// Key-value pairs as a two-column table.
pub fn pairs<'a>(caption: &str, rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> Markup {
    let rows: Vec<_> = rows.into_iter().collect();
    html! {
        @if !rows.is_empty() {
            div.scroll {
                table.pairs {
                    caption { (caption) }
                    @for (k, v) in rows {
                        tr { th scope="row" { (k) } td { code { (v) } } }
                    }
                }
            }
        }
    }
}
