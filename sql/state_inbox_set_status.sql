-- Move inbox rows on (evaluated, reported, undeliverable); a stale generation never overwrites a newer one.
-- Multi-row: the writer repeats the VALUES tuple (placeholders only, never data).
UPDATE inbox
SET status = v.status, updated_at = CAST(v.updated_at AS TIMESTAMPTZ)
FROM (VALUES (?, ?, ?, ?)) AS v(message_id, generation, status, updated_at)
WHERE inbox.message_id = v.message_id AND inbox.generation = v.generation
