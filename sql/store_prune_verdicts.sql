-- Retention: the verdicts rows of up to :limit messages finished before :before, oldest first (run in the order
-- verdicts, deliveries, inbox: the rows to drop are found through the inbox).
DELETE FROM verdicts WHERE message_id IN (
    SELECT message_id FROM inbox
    WHERE (status = 'reported' OR status = 'undeliverable' OR status = 'applied' OR status = 'discarded'
           OR status = 'ignored') AND updated_at < :before
    ORDER BY updated_at
    LIMIT :limit)
