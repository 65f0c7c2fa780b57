INSERT INTO sync_info VALUES (
    $snapshot_id, $source, $mode, $started_at, $finished_at, $duration_seconds, $project_ids,
    $project_count, (SELECT count(*) FROM nodes), (SELECT count(*) FROM edges),
    (SELECT count(*) FROM instances), (SELECT count(*) FROM baselines), $api_calls, $api_retries,
    $api_errors, $throttled, (SELECT min(bizdate) FROM instances), (SELECT max(bizdate) FROM instances),
    $history_bizdates_fetched, $previous_snapshot_id, $history_rows_missed,
    (SELECT coalesce(list(project_id ORDER BY project_id), []) FROM unreadable_workspaces), $mode_reason,
    (SELECT count(*) FROM members), $members_unavailable
);
