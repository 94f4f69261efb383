-- Rollback of 0030_orgs_v2_expand.up.sql: orgs v1 -> v2: add plan (default 'free'); add check orgs_plan_check NOT VALID
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.orgs, version 2
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

ALTER TABLE "public"."orgs" DROP CONSTRAINT IF EXISTS "orgs_plan_check";

ALTER TABLE "public"."orgs" DROP COLUMN IF EXISTS "plan";

DO $verify$
BEGIN
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."orgs"') AND conname = 'orgs_plan_check')) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint orgs_plan_check on public.orgs still exists';
  END IF;
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."orgs"') AND attname = 'plan' AND NOT attisdropped)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.orgs.plan still exists';
  END IF;
END
$verify$;
