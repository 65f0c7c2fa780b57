-- Every instance as (dense idx, bizdate, status), grouped by node, oldest first.
SELECT n.idx, i.bizdate, i.status
FROM instances AS i
JOIN nodes AS n ON n.node_id = i.node_id
ORDER BY n.idx, i.bizdate, i.begin_running_time NULLS LAST, i.instance_id;
