-- no-transaction
-- Rollback of 008_users_v2_index_org_id.sql: users v1 -> v2: index users_org_id_idx on (org_id)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 1 -> 2
-- Data: every value of the columns that existed before the migration is kept.
SET lock_timeout = '1s';
-- One statement here runs as long as the table is large, under a lock that lets reads
-- and writes through: no time limit.
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS "public"."users_org_id_idx";

DO $verify$
BEGIN
  IF NOT (to_regclass('"public"."users_org_id_idx"') IS NULL) THEN
    RAISE EXCEPTION 'Migration verification failed: index public.users_org_id_idx still exists';
  END IF;
END
$verify$;
