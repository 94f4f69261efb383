-- Migration: orgs v1 -> v2: validate orgs_plan_check
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.orgs, version 2
-- Lock: SHARE UPDATE EXCLUSIVE while validating (reads and writes continue); ACCESS EXCLUSIVE, brief, for SET NOT NULL
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '0', false);

ALTER TABLE "public"."orgs" VALIDATE CONSTRAINT "orgs_plan_check";

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."orgs"') AND conname = 'orgs_plan_check' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint orgs_plan_check on public.orgs is missing or not validated';
  END IF;
END
$verify$;
