-- Rollback of 0010_orgs_create.up.sql: orgs v1: create table public.orgs
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.orgs, version 1
-- Data: this drops the table and every row written to it since its creation; they cannot be restored
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

DROP TABLE IF EXISTS "public"."orgs";

DO $verify$
BEGIN
  IF NOT (to_regclass('"public"."orgs"') IS NULL) THEN
    RAISE EXCEPTION 'Migration verification failed: table public.orgs still exists';
  END IF;
END
$verify$;
