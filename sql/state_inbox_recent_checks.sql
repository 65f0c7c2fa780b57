-- (extensionBizId, message id) of extension events received since a time, oldest first: to recognise
-- DataWorks Rechecks after a restart.
SELECT extension_biz_id, message_id
FROM inbox
WHERE kind = 'extension' AND extension_biz_id IS NOT NULL AND received_at >= ?
ORDER BY received_at, message_id
