-- Move inbox rows of one generation on (evaluated, reported, undeliverable): status, time, generation,
-- then the list of message ids (found through the primary key). A stale generation never overwrites a newer one.
UPDATE inbox
SET status = ?, updated_at = ?
WHERE generation = ? AND message_id = ANY(?)
