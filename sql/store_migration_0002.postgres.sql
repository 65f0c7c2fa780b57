-- Node changes, version 2 of the store (its own step: the one table whose key the dialects word differently).
-- Node changes from regular node-change-* events confirmed in production, newer than the snapshot.
CREATE TABLE node_overlay (
    seq                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,   -- order of arrival (SQLite: INTEGER PRIMARY KEY)
    node_id             BIGINT NOT NULL,
    change              TEXT NOT NULL,         -- created | updated | deleted
    project_id          BIGINT,
    modify_time         BIGINT,                -- the record's modifyTime (epoch ms) when sent
    received_at         TIMESTAMPTZ NOT NULL,
    message_id          TEXT NOT NULL,
    node                TEXT NOT NULL          -- snapshot `nodes` columns (snake_case) as JSON text
);
CREATE INDEX node_overlay_received ON node_overlay (received_at);
