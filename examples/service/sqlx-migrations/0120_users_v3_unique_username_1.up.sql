-- Migration: users v2 -> v3: unique users_username_key on (username) (part 1 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 3
-- Lock: SHARE UPDATE EXCLUSIVE while building (reads and writes continue); ACCESS EXCLUSIVE, brief, to attach
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '0', false);

DO $leftover$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."users_username_key"') AND NOT indisvalid) THEN
    RAISE NOTICE 'dropping the invalid index public.users_username_key left by an earlier failed build';
    DROP INDEX "public"."users_username_key";
  END IF;
END
$leftover$;
