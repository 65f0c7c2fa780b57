UPDATE waivers SET revoked_at = :now WHERE waiver_id = :waiver_id AND revoked_at IS NULL
