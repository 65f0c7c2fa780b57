SELECT version FROM store_migrations ORDER BY version
