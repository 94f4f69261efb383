-- Rollback of 0040_orgs_v2_validate.up.sql: orgs v1 -> v2: validate orgs_plan_check
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.orgs, version 2
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

ALTER TABLE "public"."orgs" DROP CONSTRAINT IF EXISTS "orgs_plan_check";

ALTER TABLE "public"."orgs" ADD CONSTRAINT "orgs_plan_check" CHECK (plan IN ('free', 'team', 'enterprise')) NOT VALID;

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."orgs"') AND conname = 'orgs_plan_check' AND convalidated = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint orgs_plan_check on public.orgs is missing or already validated';
  END IF;
END
$verify$;
