-- Rollback of 0090_users_v2_validate.up.sql: users v1 -> v2: set display_name NOT NULL; validate users_org_id_fkey
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 2
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_org_id_fkey";

ALTER TABLE "public"."users" ADD CONSTRAINT "users_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "public"."orgs" ("id") NOT VALID;

ALTER TABLE "public"."users" ADD CONSTRAINT "users_display_name_not_null" CHECK ("display_name" IS NOT NULL) NOT VALID;

ALTER TABLE "public"."users" ALTER COLUMN "display_name" DROP NOT NULL;

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_org_id_fkey' AND convalidated = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_org_id_fkey on public.users is missing or already validated';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'display_name' AND NOT attisdropped AND atttypid = 'text'::regtype AND attnotnull = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.display_name is not text NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_display_name_not_null' AND convalidated = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_display_name_not_null on public.users is missing or already validated';
  END IF;
END
$verify$;
