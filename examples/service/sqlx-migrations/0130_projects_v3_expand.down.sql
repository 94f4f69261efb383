-- Rollback of 0130_projects_v3_expand.up.sql: projects v2 -> v3: add owner_id; add archived (default false); add foreign key projects_owner_id_fkey -> public.users NOT VALID
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, version 3
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

ALTER TABLE "public"."projects" DROP CONSTRAINT IF EXISTS "projects_owner_id_fkey";

ALTER TABLE "public"."projects" DROP COLUMN IF EXISTS "archived";

ALTER TABLE "public"."projects" DROP COLUMN IF EXISTS "owner_id";

DO $verify$
BEGIN
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."projects"') AND conname = 'projects_owner_id_fkey')) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint projects_owner_id_fkey on public.projects still exists';
  END IF;
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."projects"') AND attname = 'archived' AND NOT attisdropped)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.projects.archived still exists';
  END IF;
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."projects"') AND attname = 'owner_id' AND NOT attisdropped)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.projects.owner_id still exists';
  END IF;
END
$verify$;
