-- Metadata snapshot schema: one DuckDB file per sync, never modified after publish.
-- Column names are DataWorks API field names in snake_case. `idx` is a dense 0..n-1 position
-- per node, assigned by the sync in node_id order, so the graph index loads edges as plain arrays.

CREATE TABLE projects (
    project_id          BIGINT NOT NULL,
    project_name        VARCHAR,
    project_identifier  VARCHAR
);

CREATE TABLE nodes (
    idx                 INTEGER NOT NULL,   -- dense position, 0..n-1, in node_id order
    node_id             BIGINT NOT NULL,
    node_name           VARCHAR,
    project_id          BIGINT,
    cron_express        VARCHAR,
    scheduler_type      VARCHAR,            -- NORMAL | MANUAL | PAUSE | SKIP
    program_type        VARCHAR,
    owner_id            VARCHAR,
    priority            INTEGER,
    baseline_id         BIGINT,
    repeatability       BOOLEAN,
    res_group_name      VARCHAR,
    res_group_identifier VARCHAR,
    business_id         BIGINT,
    related_flow_id     BIGINT,
    file_id             BIGINT,
    connection          VARCHAR,
    description         VARCHAR,
    create_time         BIGINT,             -- epoch ms, as the API returns it
    modify_time         BIGINT,
    deploy_date         BIGINT,
    listed              BOOLEAN NOT NULL    -- false: only seen as a parent/child of a synced node
);

-- Sorted by (parent_idx, child_idx); the ids are kept for readers who do not want the idx join.
CREATE TABLE edges (
    parent_idx          INTEGER NOT NULL,
    child_idx           INTEGER NOT NULL,
    parent_id           BIGINT NOT NULL,
    child_id            BIGINT NOT NULL
);

CREATE TABLE instances (
    instance_id         BIGINT,
    node_id             BIGINT NOT NULL,
    bizdate             DATE NOT NULL,
    status              VARCHAR,
    begin_running_time  BIGINT,             -- epoch ms
    finish_time         BIGINT              -- epoch ms
);

CREATE TABLE baselines (
    baseline_id         BIGINT NOT NULL,
    baseline_name       VARCHAR,
    priority            INTEGER,
    project_id          BIGINT
);

CREATE TABLE baseline_nodes (
    baseline_id         BIGINT NOT NULL,
    node_id             BIGINT NOT NULL
);

-- Workspace members (ListProjectMembers). A node's `owner_id` and a baseline's owner are a member's
-- `project_member_id`. Readers show `project_member_name`, else `nick`, else the id. Empty when the sync could not
-- list them (`sync_info.members_unavailable` says why); snapshots written before this table have none.
CREATE TABLE members (
    project_id          BIGINT NOT NULL,
    project_member_id   VARCHAR NOT NULL,
    project_member_name VARCHAR,
    nick                VARCHAR,
    project_member_type VARCHAR,            -- 1 Alibaba Cloud account, 5 RAM user, 6 RAM role
    status              VARCHAR             -- 0 normal, 1 forbidden, 2 deleted
);

CREATE TABLE project_options (
    project_id          BIGINT NOT NULL,
    option_value        VARCHAR            -- the extension's per-workspace options, a JSON string
);

-- Workspaces the sync could not read (HTTP 403 Forbidden.Access): synced workspaces whose nodes could not be
-- listed, and workspaces downstream of synced nodes whose nodes' children could not be read. Nodes of these
-- workspaces may be in `nodes` (seen as a parent or child), but what lies below them is unknown.
CREATE TABLE unreadable_workspaces (
    project_id          BIGINT NOT NULL,
    action              VARCHAR NOT NULL,   -- the first call refused, e.g. ListNodes, GetNodeChildren
    code                VARCHAR,            -- DataWorks' error code, e.g. Forbidden.Access
    message             VARCHAR
);

CREATE TABLE sync_info (
    snapshot_id         VARCHAR NOT NULL,
    source              VARCHAR NOT NULL,   -- endpoint synced from, or 'fixture:<name>'
    mode                VARCHAR NOT NULL,   -- full | incremental
    started_at          TIMESTAMPTZ NOT NULL,
    finished_at         TIMESTAMPTZ NOT NULL,
    duration_seconds    DOUBLE NOT NULL,
    project_ids         BIGINT[] NOT NULL,
    project_count       INTEGER NOT NULL,
    node_count          INTEGER NOT NULL,
    edge_count          INTEGER NOT NULL,
    instance_count      BIGINT NOT NULL,
    baseline_count      INTEGER NOT NULL,
    api_calls           INTEGER NOT NULL,
    api_retries         INTEGER NOT NULL,
    api_errors          INTEGER NOT NULL,   -- calls that failed for good (the sync then fails)
    throttled           INTEGER NOT NULL,
    history_from        DATE,               -- oldest bizdate held in `instances`
    history_to          DATE,               -- newest bizdate held in `instances`
    history_bizdates_fetched INTEGER NOT NULL,
    previous_snapshot_id VARCHAR,
    history_rows_missed BIGINT NOT NULL DEFAULT 0,  -- instances no ListInstances filter could reach (page limits)
    unreadable_project_ids BIGINT[] NOT NULL DEFAULT [],  -- see unreadable_workspaces
    mode_reason         VARCHAR,            -- why this mode: a full sync says what made incremental impossible
    member_count        INTEGER NOT NULL DEFAULT 0,        -- rows of `members`
    members_unavailable VARCHAR                             -- why members could not be listed (owners shown as ids)
);
