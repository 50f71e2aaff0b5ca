-- lakecat's catalog on PostgreSQL, schema version 2: the change log.
--
-- Every write appends its events in its own transaction. Ids come from the one
-- row of lc_event_counter, which a writer locks (by updating it) as the last
-- step before its commit: writers that log queue on that row for the moment
-- between their last statement and their commit, so ids are given in commit
-- order and a reader that has seen id n has seen every id below it (what
-- Hive's NOTIFICATION_SEQUENCE does). A sequence would hand out ids in the
-- order transactions start, not commit, and a reader could skip a late one.

CREATE TABLE lc_event_counter (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_id bigint NOT NULL
);
INSERT INTO lc_event_counter (last_id) VALUES (0);

CREATE TABLE lc_events (
    id      bigint PRIMARY KEY,
    time_ms bigint NOT NULL,
    -- catalog-api's events::Event, zstd-compressed JSON (events::encode).
    doc     bytea NOT NULL
);
