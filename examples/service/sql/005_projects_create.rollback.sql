-- Rollback of 005_projects_create.sql: projects v2: create table public.projects
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, created at version 2
-- Data: this drops the table and every row written to it since its creation; they cannot be restored
SET lock_timeout = '1s';
SET statement_timeout = '30s';
BEGIN;

-- Rollback of the table's creation: the table did not exist before.
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS "public"."projects";

DO $verify$
BEGIN
  IF NOT (to_regclass('"public"."projects"') IS NULL) THEN
    RAISE EXCEPTION 'Migration verification failed: table public.projects still exists';
  END IF;
END
$verify$;
COMMIT;
