-- The state store, version 1: what the service accepted, judged and reported.
-- SQLite (`<data-dir>/state.sqlite`) and PostgreSQL (`[server] state_url`) run this same text. Times are
-- TIMESTAMPTZ (UTC; SQLite keeps them as fixed-width ISO text, so they compare and sort as times). JSON is
-- stored as text. Migrations run in order at start, each once (`opsguard.store.migrations`).

-- Every authenticated push with a readable message id. On disk before its 2xx.
CREATE TABLE inbox (
    message_id          TEXT PRIMARY KEY,      -- envelope `id` (else data.messageId): the MessageId to answer
    received_at         TIMESTAMPTZ NOT NULL,
    kind                TEXT NOT NULL,         -- extension | node-change | ignored
    event_code          TEXT,
    project_id          BIGINT,
    operator            TEXT,
    extension_biz_id    TEXT,                  -- DataWorks' id of the check process (a Recheck keeps it)
    data_message_id     TEXT,                  -- data.messageId when sent (INFERRED field), recorded as is
    status              TEXT NOT NULL,         -- extension: accepted > judged > reported | undeliverable;
                                               -- node-change: accepted > applied | discarded; ignored
    reason              TEXT,                  -- why ignored / discarded / unreadable
    signature           TEXT,                  -- the push's signature (replays are refused after a restart)
    raw                 TEXT NOT NULL,         -- the message as received (JSON text)
    claimed_by          TEXT,                  -- the worker holding it now (NULL: free)
    lease_until         TIMESTAMPTZ,           -- the claim lapses then unless renewed (a dead worker's work is taken over)
    next_attempt_at     TIMESTAMPTZ,           -- judged: when the next report attempt is due
    attempts            INTEGER NOT NULL DEFAULT 0,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX inbox_work ON inbox (status, kind, received_at);
CREATE INDEX inbox_updated ON inbox (updated_at);
CREATE INDEX inbox_received ON inbox (received_at);
CREATE INDEX inbox_check_process ON inbox (extension_biz_id, received_at);

-- One verdict per extension message: the verdict JSON plus the columns an audit filters on.
CREATE TABLE verdicts (
    message_id          TEXT PRIMARY KEY,
    evaluated_at        TIMESTAMPTZ NOT NULL,
    event_code          TEXT,
    project_id          BIGINT,
    operator            TEXT,
    result              TEXT NOT NULL,         -- OK | WARN | FAIL
    wire_result         TEXT NOT NULL,         -- OK | FAIL: the CheckResult sent to DataWorks
    tip                 TEXT NOT NULL,
    snapshot_id         TEXT,
    overlay_version     BIGINT,                -- node_overlay.seq the graph included
    recheck_of          TEXT,                  -- earlier message id of the same extensionBizId, if any
    latency_ms          DOUBLE PRECISION,
    checkpoints         TEXT NOT NULL,         -- JSON [{name, status, message}] (the verdict's, without facts)
    flagged_checks      TEXT NOT NULL,         -- ',name,name,': the checkpoints that were WARN or FAIL
    node_ids            TEXT NOT NULL,         -- ',id,id,': every node the event named
    verdict             TEXT NOT NULL          -- the verdict JSON as text
);
CREATE INDEX verdicts_evaluated ON verdicts (evaluated_at);

-- Every attempt to post a result with UpdateWorkbenchEventResult: written before the call leaves.
CREATE TABLE deliveries (
    message_id          TEXT NOT NULL,
    attempt             INTEGER NOT NULL,      -- 1, 2, ... per message
    started_at          TIMESTAMPTZ NOT NULL,
    finished_at         TIMESTAMPTZ,
    check_result        TEXT NOT NULL,         -- OK | FAIL as sent (always the stored verdict's)
    outcome             TEXT NOT NULL,         -- sending | delivered | retry | gave-up | unknown (its worker died)
    worker              TEXT,
    http_status         INTEGER,
    error_code          TEXT,
    error_message       TEXT,
    request_id          TEXT,
    next_attempt_at     TIMESTAMPTZ,
    PRIMARY KEY (message_id, attempt)
);

-- Requests that were not accepted: unauthenticated, malformed, too large, wrong content type.
CREATE TABLE rejected (
    received_at         TIMESTAMPTZ NOT NULL,
    http_status         INTEGER NOT NULL,
    reason              TEXT NOT NULL,
    detail              TEXT NOT NULL,
    message_id          TEXT,
    event_code          TEXT,
    remote_addr         TEXT,
    content_type        TEXT,
    body_size           BIGINT,
    body_head           TEXT                   -- the first bytes of the body, for the audit
);
CREATE INDEX rejected_received ON rejected (received_at);

-- One row per key: the store's own bookkeeping (the write probe of /readyz).
CREATE TABLE store_meta (
    key                 TEXT PRIMARY KEY,
    value               TEXT NOT NULL
);
