-- Migration: users v1 -> v2: set display_name NOT NULL; validate users_org_id_fkey
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 2
-- Lock: SHARE UPDATE EXCLUSIVE while validating (reads and writes continue); ACCESS EXCLUSIVE, brief, for SET NOT NULL
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '0', false);

ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_display_name_not_null";

ALTER TABLE "public"."users" ALTER COLUMN "display_name" SET NOT NULL;

ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_display_name_not_null";

ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_org_id_fkey";

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'display_name' AND NOT attisdropped AND atttypid = 'text'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.display_name is not text NOT NULL';
  END IF;
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_display_name_not_null')) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_display_name_not_null on public.users still exists';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_org_id_fkey' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_org_id_fkey on public.users is missing or not validated';
  END IF;
END
$verify$;
