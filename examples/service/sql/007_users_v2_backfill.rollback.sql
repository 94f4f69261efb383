-- Rollback of 007_users_v2_backfill.sql: users v1 -> v2: backfill display_name in batches of 1000
-- Date: 2026-11-24
-- Author: service team
-- Phase: backfill
-- Table: public.users, version 1 -> 2
-- Data: the filled values stay until the expand rollback drops their columns; no other column is touched
SET lock_timeout = '1s';
SET statement_timeout = '30s';
BEGIN;

-- Rollback: drops only the helper check its migration added.
-- squawk-ignore ban-drop-constraint
ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_display_name_not_null";

DO $verify$
BEGIN
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_display_name_not_null')) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_display_name_not_null on public.users still exists';
  END IF;
END
$verify$;
COMMIT;
