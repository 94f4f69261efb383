-- Migration: users v1 -> v2: drop the fill trigger of display_name
-- Date: 2026-11-24
-- Author: service team
-- Phase: contract
-- Table: public.users, version 2
-- Lock: ACCESS EXCLUSIVE, brief (catalog only, waits at most lock_timeout)
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

DROP TRIGGER IF EXISTS "users_display_name_fill" ON "public"."users";

DROP FUNCTION IF EXISTS "public"."users_display_name_fill"();

DO $verify$
BEGIN
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = to_regclass('"public"."users"') AND tgname = 'users_display_name_fill' AND NOT tgisinternal)) THEN
    RAISE EXCEPTION 'Migration verification failed: trigger users_display_name_fill on public.users still exists';
  END IF;
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname = 'users_display_name_fill')) THEN
    RAISE EXCEPTION 'Migration verification failed: function public.users_display_name_fill still exists';
  END IF;
END
$verify$;
