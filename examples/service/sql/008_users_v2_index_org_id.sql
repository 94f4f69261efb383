-- no-transaction
-- Migration: users v1 -> v2: index users_org_id_idx on (org_id)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 1 -> 2
-- Lock: SHARE UPDATE EXCLUSIVE (reads and writes continue)
-- Rollback: 008_users_v2_index_org_id.rollback.sql
-- Runs outside a transaction; safe to run again after a failure.
SET lock_timeout = '1s';
-- One statement here runs as long as the table is large, under a lock that lets reads
-- and writes through: no time limit.
SET statement_timeout = 0;

DO $leftover$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."users_org_id_idx"') AND NOT indisvalid) THEN
    RAISE NOTICE 'dropping the invalid index public.users_org_id_idx left by an earlier failed build';
    DROP INDEX "public"."users_org_id_idx";
  END IF;
END
$leftover$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_org_id_idx" ON "public"."users" ("org_id");

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."users_org_id_idx"') AND indisvalid)) THEN
    RAISE EXCEPTION 'Migration verification failed: index public.users_org_id_idx is missing or invalid';
  END IF;
END
$verify$;
