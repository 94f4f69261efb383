-- no-transaction
-- Migration: projects v2 -> v3: index projects_owner_id_idx on (owner_id)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, version 2 -> 3
-- Lock: SHARE UPDATE EXCLUSIVE (reads and writes continue)
-- Rollback: 014_projects_v3_index_owner_id.rollback.sql
-- Runs outside a transaction; safe to run again after a failure.
SET lock_timeout = '1s';
-- One statement here runs as long as the table is large, under a lock that lets reads
-- and writes through: no time limit.
SET statement_timeout = 0;

DO $leftover$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."projects_owner_id_idx"') AND NOT indisvalid) THEN
    RAISE NOTICE 'dropping the invalid index public.projects_owner_id_idx left by an earlier failed build';
    DROP INDEX "public"."projects_owner_id_idx";
  END IF;
END
$leftover$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS "projects_owner_id_idx" ON "public"."projects" ("owner_id");

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."projects_owner_id_idx"') AND indisvalid)) THEN
    RAISE EXCEPTION 'Migration verification failed: index public.projects_owner_id_idx is missing or invalid';
  END IF;
END
$verify$;
