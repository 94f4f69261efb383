-- Migration: projects v2 -> v3: validate projects_owner_id_fkey
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, version 3
-- Lock: SHARE UPDATE EXCLUSIVE while validating (reads and writes continue); ACCESS EXCLUSIVE, brief, for SET NOT NULL
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '0', false);

ALTER TABLE "public"."projects" VALIDATE CONSTRAINT "projects_owner_id_fkey";

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."projects"') AND conname = 'projects_owner_id_fkey' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint projects_owner_id_fkey on public.projects is missing or not validated';
  END IF;
END
$verify$;
