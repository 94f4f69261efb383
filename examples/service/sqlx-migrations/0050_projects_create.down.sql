-- Rollback of 0050_projects_create.up.sql: projects v2: create table public.projects
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, version 2
-- Data: this drops the table and every row written to it since its creation; they cannot be restored
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

DROP TABLE IF EXISTS "public"."projects";

DO $verify$
BEGIN
  IF NOT (to_regclass('"public"."projects"') IS NULL) THEN
    RAISE EXCEPTION 'Migration verification failed: table public.projects still exists';
  END IF;
END
$verify$;
