-- Per node with run history: median run time in seconds over its finished instances
-- (finish_time - begin_running_time; successful runs when it has any, else all finished runs) and the
-- newest bizdate with a successful instance. For every node: the median of those medians among nodes
-- of the same workspace and program type (NULLs form a group), the fallback for nodes without history.
-- Unordered: the loader places rows by `idx`.
WITH per_node AS (
    SELECT node_id,
           coalesce(median(finish_time - begin_running_time)
                        FILTER (WHERE status = 'SUCCESS' AND finish_time >= begin_running_time),
                    median(finish_time - begin_running_time)
                        FILTER (WHERE finish_time >= begin_running_time)) / 1000.0 AS median_seconds,
           max(bizdate) FILTER (WHERE status = 'SUCCESS') AS last_success_bizdate
    FROM instances
    GROUP BY node_id
),
with_nodes AS (
    SELECT n.idx, n.project_id, n.program_type, p.median_seconds, p.last_success_bizdate
    FROM per_node AS p
    JOIN nodes AS n ON n.node_id = p.node_id
),
groups AS (
    SELECT project_id, program_type, median(median_seconds) AS group_median_seconds
    FROM with_nodes
    GROUP BY project_id, program_type
)
SELECT n.idx,
       w.median_seconds::DOUBLE AS median_seconds,
       g.group_median_seconds::DOUBLE AS group_median_seconds,
       w.last_success_bizdate
FROM nodes AS n
LEFT JOIN with_nodes AS w ON w.idx = n.idx
LEFT JOIN groups AS g ON g.project_id IS NOT DISTINCT FROM n.project_id
                     AND g.program_type IS NOT DISTINCT FROM n.program_type;
