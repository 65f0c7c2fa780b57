-- Per node (dense idx order): median run time in seconds over its finished instances
-- (finish_time - begin_running_time; successful runs when it has any, else all finished runs),
-- the median of those medians among nodes of the same workspace and program type (the fallback
-- for nodes without history), and the newest bizdate with a successful instance.
WITH runs AS (
    SELECT node_id, status, bizdate, finish_time - begin_running_time AS run_ms
    FROM instances
    WHERE begin_running_time IS NOT NULL AND finish_time IS NOT NULL
      AND finish_time >= begin_running_time
),
per_node AS (
    SELECT node_id,
           coalesce(median(run_ms) FILTER (WHERE status = 'SUCCESS'), median(run_ms)) / 1000.0 AS median_seconds
    FROM runs
    GROUP BY node_id
),
last_success AS (
    SELECT node_id, max(bizdate) AS last_success_bizdate
    FROM instances
    WHERE status = 'SUCCESS'
    GROUP BY node_id
)
SELECT n.idx,
       p.median_seconds::DOUBLE AS median_seconds,
       (median(p.median_seconds) OVER (PARTITION BY n.project_id, n.program_type))::DOUBLE AS group_median_seconds,
       s.last_success_bizdate
FROM nodes AS n
LEFT JOIN per_node AS p ON p.node_id = n.node_id
LEFT JOIN last_success AS s ON s.node_id = n.node_id
ORDER BY n.idx;
