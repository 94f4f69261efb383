-- Rollback of 002_users_create.sql: users v1: create table public.users
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, created at version 1
-- Data: this drops the table and every row written to it since its creation; they cannot be restored
SET lock_timeout = '1s';
SET statement_timeout = '30s';
BEGIN;

-- Rollback of the table's creation: the table did not exist before.
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS "public"."users";

DO $verify$
BEGIN
  IF NOT (to_regclass('"public"."users"') IS NULL) THEN
    RAISE EXCEPTION 'Migration verification failed: table public.users still exists';
  END IF;
END
$verify$;
COMMIT;
