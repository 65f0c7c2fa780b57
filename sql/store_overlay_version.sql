SELECT coalesce(max(seq), 0) FROM node_overlay
