-- lakecat's catalog on PostgreSQL, schema version 1.
--
-- Documents (databases, tables, partitions, statistics, functions) are serde JSON
-- in `text` columns: the catalog model evolves in Rust, and JSON keeps every field
-- without a migration per field. Everything a query selects or orders by is a
-- column of its own. Names are compared byte-wise (COLLATE "C") so that listings
-- and page tokens order exactly as in the other stores, whatever the database's
-- locale. Partition values and index entries are bytea in lakecat's
-- order-preserving encoding (see catalog-api `kv::keys` and `index`): a btree
-- over them orders partitions by their values and index entries by typed key
-- values, so a filtered listing is a range scan on a primary key.

CREATE TABLE lc_databases (
    name text COLLATE "C" PRIMARY KEY,
    doc  text NOT NULL
);

CREATE SEQUENCE lc_table_ids;

CREATE TABLE lc_tables (
    db              text COLLATE "C" NOT NULL REFERENCES lc_databases (name),
    name            text COLLATE "C" NOT NULL,
    -- Internal id: partitions, versions, index entries and statistics hang off it,
    -- so a rename moves one row and a reused name never sees a dropped table's data.
    id              bigint NOT NULL UNIQUE,
    doc             text NOT NULL,
    -- JSON list of the table's partition indexes (name, keys, slot).
    indexes         text NOT NULL DEFAULT '[]',
    partition_count bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (db, name)
);

CREATE TABLE lc_table_versions (
    table_id bigint NOT NULL,
    version  bigint NOT NULL,
    doc      text NOT NULL,
    PRIMARY KEY (table_id, version)
);

CREATE TABLE lc_partitions (
    table_id    bigint NOT NULL,
    pkey        bytea NOT NULL,
    create_time bigint NOT NULL,
    doc         text NOT NULL,
    PRIMARY KEY (table_id, pkey)
);

-- Entries of every partition index: slot byte, typed key values, partition key.
CREATE TABLE lc_partition_index_entries (
    table_id bigint NOT NULL,
    entry    bytea NOT NULL,
    PRIMARY KEY (table_id, entry)
);

-- target: 0xFF for the table's own statistics, 0x00 || partition key for a partition's.
CREATE TABLE lc_column_statistics (
    table_id    bigint NOT NULL,
    target      bytea NOT NULL,
    column_name text COLLATE "C" NOT NULL,
    doc         text NOT NULL,
    PRIMARY KEY (table_id, target, column_name)
);

CREATE TABLE lc_functions (
    db   text COLLATE "C" NOT NULL REFERENCES lc_databases (name),
    name text COLLATE "C" NOT NULL,
    doc  text NOT NULL,
    PRIMARY KEY (db, name)
);

-- Service records (crawlers, runs, classifiers, S3 events, …): opaque bytes.
CREATE TABLE lc_records (
    space text COLLATE "C" NOT NULL,
    key   bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (space, key)
);

-- Ids of dropped tables whose rows are still being removed in chunks.
CREATE TABLE lc_purge (
    table_id bigint PRIMARY KEY
);
