-- Rollback of 011_users_v3_expand.sql: users v2 -> v3: add username; add login_count (default 0)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 2 -> 3
-- Data: every value of the columns that existed before the migration is kept.
SET lock_timeout = '1s';
SET statement_timeout = '30s';
BEGIN;

-- Rollback: drops only the column its migration added.
-- squawk-ignore ban-drop-column
ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "login_count";

-- Rollback: drops only the column its migration added.
-- squawk-ignore ban-drop-column
ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "username";

DO $verify$
BEGIN
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'login_count' AND NOT attisdropped)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.login_count still exists';
  END IF;
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'username' AND NOT attisdropped)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.username still exists';
  END IF;
END
$verify$;
COMMIT;
