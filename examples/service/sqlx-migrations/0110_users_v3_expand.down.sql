-- Rollback of 0110_users_v3_expand.up.sql: users v2 -> v3: add username; add login_count (default 0)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 3
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "login_count";

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
