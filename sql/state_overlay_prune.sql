-- Forget node changes a snapshot has caught up with: received before that sync started.
DELETE FROM node_overlay WHERE received_at < ?
