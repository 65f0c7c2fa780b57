-- Waivers, version 3 of the store: a policy owner's time-limited override of a WARN or FAIL
-- (`opsguard waive`; evaluator/waivers.py). Kept after they expire or are revoked: they are the audit trail.
CREATE TABLE waivers (
    waiver_id           TEXT PRIMARY KEY,
    granted_at          TIMESTAMPTZ NOT NULL,
    expires_at          TIMESTAMPTZ NOT NULL,
    granted_by          TEXT NOT NULL,
    reason              TEXT NOT NULL,
    node_id             BIGINT,                -- the scope: every field set must match (NULL = any)
    baseline_id         BIGINT,
    project_id          BIGINT,
    operator            TEXT,
    event_code          TEXT,
    revoked_at          TIMESTAMPTZ
);
CREATE INDEX waivers_expiry ON waivers (expires_at);
