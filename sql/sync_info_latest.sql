-- The newest sync_info row, every column (snapshots written by older versions have fewer: readers use names).
SELECT *
FROM sync_info
ORDER BY finished_at DESC
LIMIT 1;
