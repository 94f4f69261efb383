-- Migration: users v2 -> v3: add username; add login_count (default 0)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 3
-- Lock: ACCESS EXCLUSIVE, brief (catalog only, waits at most lock_timeout)
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

ALTER TABLE "public"."users" ADD COLUMN "username" text;

ALTER TABLE "public"."users" ADD COLUMN "login_count" integer NOT NULL DEFAULT 0;

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'username' AND NOT attisdropped AND atttypid = 'text'::regtype AND attnotnull = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.username is not text NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'login_count' AND NOT attisdropped AND atttypid = 'integer'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.login_count is not integer NOT NULL';
  END IF;
END
$verify$;
