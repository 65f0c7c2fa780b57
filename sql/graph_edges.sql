-- Dependency edges as dense positions (stored sorted by parent; the loader re-sorts only if not).
SELECT parent_idx, child_idx
FROM edges;
