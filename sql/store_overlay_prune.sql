-- Node changes a published snapshot already covers.
DELETE FROM node_overlay WHERE received_at < :before
