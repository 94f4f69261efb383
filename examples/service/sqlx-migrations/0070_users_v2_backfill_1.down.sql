-- Rollback of 0070_users_v2_backfill_1.up.sql: users v1 -> v2: backfill display_name in batches of 1000 (part 1 of 2)
-- Date: 2026-11-24
-- Author: service team
-- Phase: backfill
-- Table: public.users, version 2
-- Nothing to undo for this part.
SELECT 1;
