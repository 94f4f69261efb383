-- Rollback of 0020_users_create.up.sql: users v1: create table public.users
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 1
-- Data: this drops the table and every row written to it since its creation; they cannot be restored
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

DROP TABLE IF EXISTS "public"."users";

DO $verify$
BEGIN
  IF NOT (to_regclass('"public"."users"') IS NULL) THEN
    RAISE EXCEPTION 'Migration verification failed: table public.users still exists';
  END IF;
END
$verify$;
