-- The latest other message of the same DataWorks check process (a Recheck's predecessor).
SELECT message_id
FROM inbox
WHERE extension_biz_id = :extension_biz_id AND message_id <> :message_id AND received_at <= :received_at
ORDER BY received_at DESC
LIMIT 1
