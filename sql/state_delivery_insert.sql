-- Attempts to post a result. Multi-row: the writer repeats the VALUES tuple (placeholders only, never data).
INSERT INTO deliveries (message_id, generation, attempt, started_at, finished_at, check_result, outcome,
                        http_status, error_code, error_message, request_id, next_attempt_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
