-- no-transaction
-- Rollback of 014_projects_v3_index_owner_id.sql: projects v2 -> v3: index projects_owner_id_idx on (owner_id)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, version 2 -> 3
-- Data: every value of the columns that existed before the migration is kept.
SET lock_timeout = '1s';
-- One statement here runs as long as the table is large, under a lock that lets reads
-- and writes through: no time limit.
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS "public"."projects_owner_id_idx";

DO $verify$
BEGIN
  IF NOT (to_regclass('"public"."projects_owner_id_idx"') IS NULL) THEN
    RAISE EXCEPTION 'Migration verification failed: index public.projects_owner_id_idx still exists';
  END IF;
END
$verify$;
