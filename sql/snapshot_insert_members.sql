-- Workspace members staged as an Arrow table (see schema.sql `members`).
INSERT INTO members
SELECT project_id, project_member_id, project_member_name, nick, project_member_type, status
FROM staging_members;
