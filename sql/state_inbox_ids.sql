-- Every message id in the inbox (the server's memory of seen ids is built from these at start-up).
SELECT message_id FROM inbox
