-- Rollback of 0082_users_v2_index_org_id_3.up.sql: users v1 -> v2: index users_org_id_idx on (org_id) (part 3 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 2
-- Nothing to undo for this part.
SELECT 1;
