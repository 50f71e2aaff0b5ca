//! Helpers only ordered key-value backends need (the memory and sled stores):
//! an order-preserving encoding of partition values, batches planned into
//! encoded keys, key ranges for filtered listings, and name-ordered paging. A
//! backend with its own query engine (PostgreSQL) needs none of it; the rules
//! every backend shares are in [`crate::store`].

pub mod keys;
mod partitions;

pub use partitions::*;
