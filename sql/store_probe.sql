-- /readyz: can the store still be written? (disk full, read-only file system, lost database)
INSERT INTO store_meta (key, value) VALUES ('probe', :value)
ON CONFLICT (key) DO UPDATE SET value = excluded.value
