-- Migration: orgs v1 -> v2: add plan (default 'free'); add check orgs_plan_check NOT VALID
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.orgs, version 2
-- Lock: ACCESS EXCLUSIVE, brief (catalog only, waits at most lock_timeout)
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

ALTER TABLE "public"."orgs" ADD COLUMN "plan" text NOT NULL DEFAULT 'free';

ALTER TABLE "public"."orgs" ADD CONSTRAINT "orgs_plan_check" CHECK (plan IN ('free', 'team', 'enterprise')) NOT VALID;

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."orgs"') AND attname = 'plan' AND NOT attisdropped AND atttypid = 'text'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.orgs.plan is not text NOT NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."orgs"') AND conname = 'orgs_plan_check' AND convalidated = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint orgs_plan_check on public.orgs is missing or already validated';
  END IF;
END
$verify$;
