UPDATE inbox SET attempts = :attempt WHERE message_id = :message_id
