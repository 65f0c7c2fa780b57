-- An attempt to post, recorded before the call leaves.
INSERT INTO deliveries (message_id, attempt, started_at, check_result, outcome, worker)
VALUES (:message_id, :attempt, :started_at, :check_result, 'sending', :worker)
