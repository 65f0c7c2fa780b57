-- Identity of a snapshot for the graph: its id and publish time (newest sync_info row, if any)
-- and the newest bizdate of run history.
SELECT (SELECT snapshot_id FROM sync_info ORDER BY finished_at DESC LIMIT 1) AS snapshot_id,
       (SELECT finished_at FROM sync_info ORDER BY finished_at DESC LIMIT 1) AS finished_at,
       (SELECT max(bizdate) FROM instances) AS history_to;
