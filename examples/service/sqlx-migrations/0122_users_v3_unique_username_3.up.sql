-- Migration: users v2 -> v3: unique users_username_key on (username) (part 3 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 3
-- Lock: SHARE UPDATE EXCLUSIVE while building (reads and writes continue); ACCESS EXCLUSIVE, brief, to attach
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '0', false);

DO $attach$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_username_key') THEN
    ALTER TABLE "public"."users" ADD CONSTRAINT "users_username_key" UNIQUE USING INDEX "users_username_key";
  END IF;
END
$attach$;

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."users_username_key"') AND indisvalid)) THEN
    RAISE EXCEPTION 'Migration verification failed: index public.users_username_key is missing or invalid';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_username_key' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_username_key on public.users is missing or not validated';
  END IF;
END
$verify$;
