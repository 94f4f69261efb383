-- no-transaction
-- Rollback of 012_users_v3_unique_username.sql: users v2 -> v3: unique users_username_key on (username)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 2 -> 3
-- Data: every value of the columns that existed before the migration is kept.
SET lock_timeout = '1s';
-- One statement here runs as long as the table is large, under a lock that lets reads
-- and writes through: no time limit.
SET statement_timeout = 0;

DO $detach$
BEGIN
  ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_username_key";
END
$detach$;

DROP INDEX CONCURRENTLY IF EXISTS "public"."users_username_key";

DO $verify$
BEGIN
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_username_key')) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_username_key on public.users still exists';
  END IF;
  IF NOT (to_regclass('"public"."users_username_key"') IS NULL) THEN
    RAISE EXCEPTION 'Migration verification failed: index public.users_username_key still exists';
  END IF;
END
$verify$;
