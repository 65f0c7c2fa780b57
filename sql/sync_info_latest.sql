SELECT snapshot_id, source, mode, project_ids, node_count, edge_count, instance_count, project_count,
       baseline_count, api_calls, api_retries, api_errors, throttled, duration_seconds, started_at,
       finished_at, history_from, history_to, history_bizdates_fetched, previous_snapshot_id
FROM sync_info
ORDER BY finished_at DESC
LIMIT 1;
