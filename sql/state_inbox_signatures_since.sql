-- Webhook signatures of messages received since a time: replays of them are refused after a restart.
SELECT signature, received_at
FROM inbox
WHERE signature IS NOT NULL AND received_at >= ?
