-- The latest other message of the same DataWorks check process (extensionBizId): set when this is a Recheck.
SELECT message_id
FROM inbox
WHERE extension_biz_id = ? AND message_id <> ? AND kind = 'extension' AND received_at <= ?
ORDER BY received_at DESC, message_id DESC
LIMIT 1
