-- Run history carried over from the previous snapshot: bizdates before the first one refetched.
SELECT instance_id, node_id, bizdate, status, begin_running_time, finish_time
FROM instances
WHERE bizdate < $refetch_from AND bizdate >= $keep_from;
