-- An explicit recheck of a known extension-point message: a new generation, evaluated and reported again.
UPDATE inbox
SET generation = generation + 1, status = 'accepted', recheck = true, raw = ?, signature = ?, updated_at = ?
WHERE message_id = ? AND kind = 'extension'
RETURNING generation
