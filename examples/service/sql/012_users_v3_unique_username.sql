-- no-transaction
-- Migration: users v2 -> v3: unique users_username_key on (username)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 2 -> 3
-- Lock: SHARE UPDATE EXCLUSIVE while building (reads and writes continue); ACCESS EXCLUSIVE, brief, to attach
-- Rollback: 012_users_v3_unique_username.rollback.sql
-- Runs outside a transaction; safe to run again after a failure.
SET lock_timeout = '1s';
-- One statement here runs as long as the table is large, under a lock that lets reads
-- and writes through: no time limit.
SET statement_timeout = 0;

DO $leftover$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."users_username_key"') AND NOT indisvalid) THEN
    RAISE NOTICE 'dropping the invalid index public.users_username_key left by an earlier failed build';
    DROP INDEX "public"."users_username_key";
  END IF;
END
$leftover$;

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_username_key" ON "public"."users" ("username");

DO $attach$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_username_key') THEN
    ALTER TABLE "public"."users" ADD CONSTRAINT "users_username_key" UNIQUE USING INDEX "users_username_key";
  END IF;
END
$attach$;

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."users_username_key"') AND indisvalid)) THEN
    RAISE EXCEPTION 'Migration verification failed: index public.users_username_key is missing or invalid';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_username_key' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_username_key on public.users is missing or not validated';
  END IF;
END
$verify$;
