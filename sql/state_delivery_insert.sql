-- Attempts to post a result, from the writer's Arrow batch `batch_rows`.
INSERT INTO deliveries (message_id, generation, attempt, started_at, finished_at, check_result, outcome,
                        http_status, error_code, error_message, request_id, next_attempt_at)
SELECT message_id, generation, attempt, started_at, finished_at, check_result, outcome,
       http_status, error_code, error_message, request_id, next_attempt_at
FROM batch_rows
