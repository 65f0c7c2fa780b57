-- Replay keys of messages received since :since (a restarted server still refuses their replays).
SELECT signature, received_at
FROM inbox
WHERE received_at >= :since AND signature IS NOT NULL
