-- Rollback of 001_orgs_create.sql: orgs v1: create table public.orgs
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.orgs, created at version 1
-- Data: this drops the table and every row written to it since its creation; they cannot be restored
SET lock_timeout = '1s';
SET statement_timeout = '30s';
BEGIN;

-- Rollback of the table's creation: the table did not exist before.
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS "public"."orgs";

DO $verify$
BEGIN
  IF NOT (to_regclass('"public"."orgs"') IS NULL) THEN
    RAISE EXCEPTION 'Migration verification failed: table public.orgs still exists';
  END IF;
END
$verify$;
COMMIT;
