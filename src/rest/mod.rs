//! lakecat's own REST API under `/v1`, one file per resource family; its routes
//! are documented in `openapi.yaml` (a test holds the two together).

pub mod audit;
pub mod crawlers;
pub mod databases;
pub mod ddl;
pub mod events;
pub mod grants;
pub mod indexes;
pub mod partitions;
pub mod search;
pub mod tables;
pub mod webhooks;

use crate::http::Routes;
use axum::http::Method;

/// Adds the REST routes to `r`.
pub fn routes(r: Routes) -> Routes {
    r.add(Method::GET, "/v1/audit", audit::list_audit)
        .add(Method::GET, "/v1/events", events::list_events)
        .add(Method::GET, "/v1/events/stream", events::stream_events)
        .add(Method::GET, "/v1/webhooks", webhooks::list_webhooks)
        .add(Method::POST, "/v1/webhooks", webhooks::create_webhook)
        .add(Method::GET, "/v1/webhooks/{name}", webhooks::get_webhook)
        .add(
            Method::PUT,
            "/v1/webhooks/{name}",
            webhooks::replace_webhook,
        )
        .add(
            Method::DELETE,
            "/v1/webhooks/{name}",
            webhooks::delete_webhook,
        )
        .add(
            Method::GET,
            "/v1/webhooks/{name}/dead-letters",
            webhooks::list_dead_letters,
        )
        .add(Method::GET, "/v1/grants", grants::list_grants)
        .add(Method::POST, "/v1/grants", grants::grant)
        .add(Method::POST, "/v1/grants/revoke", grants::revoke)
        .add(Method::GET, "/v1/databases", databases::list_databases)
        .add(Method::POST, "/v1/databases", databases::create_database)
        .add(Method::GET, "/v1/databases/{db}", databases::get_database)
        .add(
            Method::PUT,
            "/v1/databases/{db}",
            databases::update_database,
        )
        .add(
            Method::DELETE,
            "/v1/databases/{db}",
            databases::delete_database,
        )
        .add(
            Method::GET,
            "/v1/databases/{db}/tables",
            tables::list_tables,
        )
        .add(
            Method::POST,
            "/v1/databases/{db}/tables",
            tables::create_table,
        )
        .add(
            Method::GET,
            "/v1/databases/{db}/tables/{table}",
            tables::get_table,
        )
        .add(
            Method::PUT,
            "/v1/databases/{db}/tables/{table}",
            tables::update_table,
        )
        .add(
            Method::DELETE,
            "/v1/databases/{db}/tables/{table}",
            tables::delete_table,
        )
        .add(
            Method::GET,
            "/v1/databases/{db}/tables/{table}/versions",
            tables::list_versions,
        )
        .add(
            Method::GET,
            "/v1/databases/{db}/tables/{table}/partitions",
            partitions::list_partitions,
        )
        .add(
            Method::POST,
            "/v1/databases/{db}/tables/{table}/partitions",
            partitions::create_partitions,
        )
        .add(
            Method::POST,
            "/v1/databases/{db}/tables/{table}/partitions/delete",
            partitions::delete_partitions,
        )
        .add(
            Method::GET,
            "/v1/databases/{db}/tables/{table}/partition",
            partitions::get_partition,
        )
        .add(
            Method::PUT,
            "/v1/databases/{db}/tables/{table}/partition",
            partitions::update_partition,
        )
        .add(
            Method::DELETE,
            "/v1/databases/{db}/tables/{table}/partition",
            partitions::delete_partition,
        )
        .add(
            Method::GET,
            "/v1/databases/{db}/tables/{table}/indexes",
            indexes::list_indexes,
        )
        .add(
            Method::POST,
            "/v1/databases/{db}/tables/{table}/indexes",
            indexes::create_index,
        )
        .add(
            Method::DELETE,
            "/v1/databases/{db}/tables/{table}/indexes/{index}",
            indexes::delete_index,
        )
        .add(
            Method::GET,
            "/v1/databases/{db}/tables/{table}/statistics",
            indexes::get_statistics,
        )
        .add(
            Method::PUT,
            "/v1/databases/{db}/tables/{table}/statistics",
            indexes::put_statistics,
        )
        .add(
            Method::DELETE,
            "/v1/databases/{db}/tables/{table}/statistics",
            indexes::delete_statistics,
        )
        .add(Method::GET, "/v1/search/tables", search::search_tables)
        .add(Method::POST, "/v1/ddl", ddl::run_ddl)
        .add(Method::GET, "/v1/crawlers", crawlers::list_crawlers)
        .add(Method::POST, "/v1/crawlers", crawlers::create_crawler)
        .add(Method::GET, "/v1/crawlers/{name}", crawlers::get_crawler)
        .add(Method::PUT, "/v1/crawlers/{name}", crawlers::update_crawler)
        .add(
            Method::DELETE,
            "/v1/crawlers/{name}",
            crawlers::delete_crawler,
        )
        .add(
            Method::POST,
            "/v1/crawlers/{name}/start",
            crawlers::start_crawler,
        )
        .add(
            Method::POST,
            "/v1/crawlers/{name}/stop",
            crawlers::stop_crawler,
        )
        .add(
            Method::GET,
            "/v1/crawlers/{name}/crawls",
            crawlers::list_crawls,
        )
        .add(
            Method::GET,
            "/v1/crawlers/{name}/metrics",
            crawlers::crawler_metrics,
        )
        .add(
            Method::PUT,
            "/v1/crawlers/{name}/schedule",
            crawlers::put_schedule,
        )
        .add(Method::GET, "/v1/classifiers", crawlers::list_classifiers)
        .add(Method::POST, "/v1/classifiers", crawlers::create_classifier)
        .add(
            Method::GET,
            "/v1/classifiers/{name}",
            crawlers::get_classifier,
        )
        .add(
            Method::PUT,
            "/v1/classifiers/{name}",
            crawlers::update_classifier,
        )
        .add(
            Method::DELETE,
            "/v1/classifiers/{name}",
            crawlers::delete_classifier,
        )
        .add(Method::POST, "/v1/events/s3", crawlers::s3_events)
}
