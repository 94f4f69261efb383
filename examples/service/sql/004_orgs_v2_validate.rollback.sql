-- Rollback of 004_orgs_v2_validate.sql: orgs v1 -> v2: validate orgs_plan_check
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.orgs, version 1 -> 2
-- Data: every value of the columns that existed before the migration is kept.
SET lock_timeout = '1s';
SET statement_timeout = '30s';
BEGIN;

-- Rollback: the constraint was NOT VALID before; it is re-added as NOT VALID, without a scan.
-- squawk-ignore ban-drop-constraint
ALTER TABLE "public"."orgs" DROP CONSTRAINT IF EXISTS "orgs_plan_check";

ALTER TABLE "public"."orgs" ADD CONSTRAINT "orgs_plan_check" CHECK (plan IN ('free', 'team', 'enterprise')) NOT VALID;

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."orgs"') AND conname = 'orgs_plan_check' AND convalidated = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint orgs_plan_check on public.orgs is missing or already validated';
  END IF;
END
$verify$;
COMMIT;
