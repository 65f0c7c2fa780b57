-- State of the opsguard server (`<data-dir>/state.duckdb`, owned by one server process).
-- Idempotent: run at every start. Times are TIMESTAMPTZ (UTC). JSON is stored as text.

CREATE TABLE IF NOT EXISTS state_meta (
    key                 VARCHAR PRIMARY KEY,
    value               VARCHAR NOT NULL
);

-- Every authenticated, well-formed message. On disk before its 2xx: committed here, or (a new extension
-- event) in the accept journal first and committed with the next batch (evaluator/accept_journal.py).
CREATE TABLE IF NOT EXISTS inbox (
    message_id          VARCHAR PRIMARY KEY,   -- envelope `id` (else data.messageId): the MessageId to answer
    received_at         TIMESTAMPTZ NOT NULL,
    kind                VARCHAR NOT NULL,      -- extension | node-change | ignored
    event_code          VARCHAR,
    project_id          BIGINT,
    operator            VARCHAR,
    extension_biz_id    VARCHAR,               -- DataWorks' id of the check process (a Recheck keeps it)
    data_message_id     VARCHAR,               -- data.messageId when sent (INFERRED field), recorded as is
    status              VARCHAR NOT NULL,      -- accepted | evaluated | reported | undeliverable | applied | ignored
    generation          INTEGER NOT NULL,      -- 1, +1 for each explicit recheck of the same message id
    recheck             BOOLEAN NOT NULL,      -- an explicit recheck flag came with the (latest) delivery
    signature           VARCHAR,               -- webhook signature header, to refuse replays after a restart
    reason              VARCHAR,               -- why ignored (unknown code, instance operation...)
    raw                 VARCHAR NOT NULL,      -- the message as received (JSON text)
    updated_at          TIMESTAMPTZ NOT NULL
);

-- One verdict per (message, generation): the DESIGN.md verdict JSON plus columns to query by.
-- No key constraint: unique by construction (saved with the inbox status change), and an index costs
-- every insert more than the rare lookups by message id gain.
CREATE TABLE IF NOT EXISTS verdicts (
    message_id          VARCHAR NOT NULL,
    generation          INTEGER NOT NULL,
    evaluated_at        TIMESTAMPTZ NOT NULL,
    event_code          VARCHAR,
    project_id          BIGINT,
    operator            VARCHAR,
    result              VARCHAR NOT NULL,      -- OK | WARN | FAIL
    wire_result         VARCHAR NOT NULL,      -- OK | FAIL: the CheckResult sent to DataWorks
    tip                 VARCHAR NOT NULL,
    snapshot_id         VARCHAR,
    overlay_version     BIGINT,                -- node_overlay changes the graph included
    recheck_of          VARCHAR,               -- earlier message id of the same extensionBizId, if any
    latency_ms          DOUBLE,
    verdict             VARCHAR NOT NULL       -- Verdict.to_json() as text
);

-- Every attempt to post a result with UpdateWorkbenchEventResult, successful or not.
CREATE TABLE IF NOT EXISTS deliveries (
    message_id          VARCHAR NOT NULL,
    generation          INTEGER NOT NULL,
    attempt             INTEGER NOT NULL,      -- 1, 2, ... per (message, generation)
    started_at          TIMESTAMPTZ NOT NULL,
    finished_at         TIMESTAMPTZ NOT NULL,
    check_result        VARCHAR NOT NULL,      -- OK | FAIL as sent
    outcome             VARCHAR NOT NULL,      -- delivered | retry | gave-up
    http_status         INTEGER,
    error_code          VARCHAR,
    error_message       VARCHAR,
    request_id          VARCHAR,
    next_attempt_at     TIMESTAMPTZ            -- when outcome = retry
);

-- Node changes from regular node-change-* events, newer than the live snapshot (latest per node).
CREATE TABLE IF NOT EXISTS node_overlay (
    node_id             BIGINT PRIMARY KEY,
    change              VARCHAR NOT NULL,      -- created | updated | deleted
    project_id          BIGINT,
    modify_time         BIGINT,                -- the record's modifyTime (epoch ms) when sent
    received_at         TIMESTAMPTZ NOT NULL,
    message_id          VARCHAR NOT NULL,
    node                VARCHAR NOT NULL       -- snapshot `nodes` columns (snake_case) as JSON text
);

-- Requests that were not accepted: unauthenticated, malformed, too large, wrong content type.
CREATE TABLE IF NOT EXISTS rejected (
    received_at         TIMESTAMPTZ NOT NULL,
    http_status         INTEGER NOT NULL,
    reason              VARCHAR NOT NULL,      -- unauthenticated | replay | malformed | too-large | unsupported-media-type
    detail              VARCHAR NOT NULL,
    message_id          VARCHAR,
    event_code          VARCHAR,
    remote_addr         VARCHAR,
    content_type        VARCHAR,
    body_size           BIGINT,
    body_head           VARCHAR                -- the first bytes of the body, for the audit
);
