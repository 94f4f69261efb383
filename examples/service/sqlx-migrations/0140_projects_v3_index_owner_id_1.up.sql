-- Migration: projects v2 -> v3: index projects_owner_id_idx on (owner_id) (part 1 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, version 3
-- Lock: SHARE UPDATE EXCLUSIVE (reads and writes continue)
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '0', false);

DO $leftover$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."projects_owner_id_idx"') AND NOT indisvalid) THEN
    RAISE NOTICE 'dropping the invalid index public.projects_owner_id_idx left by an earlier failed build';
    DROP INDEX "public"."projects_owner_id_idx";
  END IF;
END
$leftover$;
