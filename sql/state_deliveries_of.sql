-- Every attempt to post a message's result, in order.
SELECT message_id, generation, attempt, started_at, finished_at, check_result, outcome, http_status,
       error_code, error_message, request_id, next_attempt_at
FROM deliveries
WHERE message_id = ?
ORDER BY generation, attempt
