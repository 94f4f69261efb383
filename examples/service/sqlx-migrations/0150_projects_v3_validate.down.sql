-- Rollback of 0150_projects_v3_validate.up.sql: projects v2 -> v3: validate projects_owner_id_fkey
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, version 3
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

ALTER TABLE "public"."projects" DROP CONSTRAINT IF EXISTS "projects_owner_id_fkey";

ALTER TABLE "public"."projects" ADD CONSTRAINT "projects_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "public"."users" ("id") NOT VALID;

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."projects"') AND conname = 'projects_owner_id_fkey' AND convalidated = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint projects_owner_id_fkey on public.projects is missing or already validated';
  END IF;
END
$verify$;
