-- Migration: users v1 -> v2: index users_org_id_idx on (org_id) (part 1 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 2
-- Lock: SHARE UPDATE EXCLUSIVE (reads and writes continue)
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '0', false);

DO $leftover$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."users_org_id_idx"') AND NOT indisvalid) THEN
    RAISE NOTICE 'dropping the invalid index public.users_org_id_idx left by an earlier failed build';
    DROP INDEX "public"."users_org_id_idx";
  END IF;
END
$leftover$;
