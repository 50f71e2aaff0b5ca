//! Glue's documented limits (see the Glue API model). lakecat enforces them on every
//! write so that anything it stores can also be served unchanged through the Glue API.

pub const MAX_NAME_LEN: usize = 255;
pub const MAX_DESCRIPTION_LEN: usize = 2_048;
pub const MAX_TYPE_LEN: usize = 131_072;
pub const MAX_PARTITION_VALUE_LEN: usize = 1_024;
pub const MAX_LOCATION_LEN: usize = 2_056;
pub const MAX_PARAM_KEY_LEN: usize = 255;
pub const MAX_PARAM_VALUE_LEN: usize = 512_000;
pub const MAX_COMMENT_LEN: usize = 255;
pub const MAX_VIEW_TEXT_LEN: usize = 409_600;
/// Upper bound on one batch of partitions written or deleted in one call.
pub const MAX_PARTITION_BATCH: usize = 1_000;
/// Largest page any listing serves.
pub const MAX_PAGE_SIZE: usize = 1_000;
/// Glue's quota of versions kept per table; the configured cap may be lower.
pub const MAX_TABLE_VERSIONS: usize = 100_000;
