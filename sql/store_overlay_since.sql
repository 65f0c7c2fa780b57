-- Node changes after seq :after received at or after :received_since, in order.
SELECT seq, node_id, change, project_id, modify_time, received_at, message_id, node
FROM node_overlay
WHERE seq > :after AND received_at >= :received_since
ORDER BY seq
