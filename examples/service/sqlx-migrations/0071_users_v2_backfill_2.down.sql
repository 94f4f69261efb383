-- Rollback of 0071_users_v2_backfill_2.up.sql: users v1 -> v2: backfill display_name in batches of 1000 (part 2 of 2)
-- Date: 2026-11-24
-- Author: service team
-- Phase: backfill
-- Table: public.users, version 2
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_display_name_not_null";
