INSERT INTO store_migrations (version, applied_at) VALUES (:version, :applied_at)
