-- A value set once (the first replica to start sets it; the others read it).
INSERT INTO store_meta (key, value) VALUES (:key, :value)
ON CONFLICT (key) DO NOTHING
