-- Counts per day (UTC) for `opsguard audit --summary`: how many decisions ended OK / WARN / FAIL
-- (check = 'verdict') and how often each checkpoint had each status. Reads the rows of
-- audit_decisions.sql, registered as the relation `decisions` (so the filters live in one place).
WITH statuses AS (
    SELECT CAST(timezone('UTC', evaluated_at) AS DATE) AS day, 'verdict' AS "check", result AS status
    FROM decisions
    UNION ALL
    SELECT CAST(timezone('UTC', evaluated_at) AS DATE) AS day, split_part(c, '=', 1) AS "check",
           split_part(c, '=', 2) AS status
    FROM (SELECT evaluated_at, unnest(checkpoints) AS c FROM decisions)
)
SELECT day, "check", status, count(*) AS count
FROM statuses
GROUP BY day, "check", status
ORDER BY day DESC, "check" <> 'verdict', "check", CASE status WHEN 'FAIL' THEN 0 WHEN 'WARN' THEN 1 ELSE 2 END
