-- Migration: orgs v1 -> v2: validate orgs_plan_check
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.orgs, version 1 -> 2
-- Lock: SHARE UPDATE EXCLUSIVE while validating (reads and writes continue); ACCESS EXCLUSIVE, brief, for SET NOT NULL
-- Rollback: 004_orgs_v2_validate.rollback.sql
SET lock_timeout = '1s';
-- One statement here runs as long as the table is large, under a lock that lets reads
-- and writes through: no time limit.
SET statement_timeout = 0;
BEGIN;

ALTER TABLE "public"."orgs" VALIDATE CONSTRAINT "orgs_plan_check";

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."orgs"') AND conname = 'orgs_plan_check' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint orgs_plan_check on public.orgs is missing or not validated';
  END IF;
END
$verify$;
COMMIT;
