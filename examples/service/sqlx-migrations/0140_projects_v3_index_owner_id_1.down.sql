-- Rollback of 0140_projects_v3_index_owner_id_1.up.sql: projects v2 -> v3: index projects_owner_id_idx on (owner_id) (part 1 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, version 3
-- Nothing to undo for this part.
SELECT 1;
