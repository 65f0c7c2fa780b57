-- What an incremental sync needs from the previous snapshot: each node's last modification time.
SELECT node_id, modify_time, listed FROM nodes;
