-- Attempts whose worker died mid-call: DataWorks may or may not have the result.
UPDATE deliveries SET outcome = 'unknown', finished_at = :now
WHERE message_id = :message_id AND outcome = 'sending'
