-- Who a member id is, for display: one row per member id (a person listed in several workspaces once),
-- preferring a normal member's record. Snapshots written before the `members` table lack it: the reader
-- then shows owner ids as they are.
SELECT project_member_id, any_value(project_member_name ORDER BY status NULLS LAST) AS project_member_name,
       any_value(nick ORDER BY status NULLS LAST) AS nick
FROM members
GROUP BY project_member_id;
