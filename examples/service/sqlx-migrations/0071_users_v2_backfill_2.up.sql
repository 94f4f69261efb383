-- Migration: users v1 -> v2: backfill display_name in batches of 1000 (part 2 of 2)
-- Date: 2026-11-24
-- Author: service team
-- Phase: backfill
-- Table: public.users, version 2
-- Lock: ROW EXCLUSIVE; row locks one batch at a time
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '0', false);

DO $helper$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_display_name_not_null') THEN
    ALTER TABLE "public"."users" ADD CONSTRAINT "users_display_name_not_null" CHECK ("display_name" IS NOT NULL) NOT VALID;
  END IF;
END
$helper$;

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_display_name_not_null' AND convalidated = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_display_name_not_null on public.users is missing or already validated';
  END IF;
END
$verify$;
