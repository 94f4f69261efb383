-- Migration: users v1 -> v2: add display_name (backfilled, NOT NULL later); add created_at (default now()); add org_id; add foreign key users_org_id_fkey -> public.orgs NOT VALID
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 2
-- Lock: ACCESS EXCLUSIVE, brief (catalog only, waits at most lock_timeout)
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

ALTER TABLE "public"."users" ADD COLUMN "display_name" text;

CREATE OR REPLACE FUNCTION "public"."users_display_name_fill"() RETURNS trigger LANGUAGE plpgsql AS $fill$
BEGIN
  IF NEW."display_name" IS NULL THEN
    SELECT (split_part(email, '@', 1)) INTO NEW."display_name" FROM (SELECT NEW.*) AS mg_row;
  END IF;
  RETURN NEW;
END
$fill$;

CREATE TRIGGER "users_display_name_fill" BEFORE INSERT OR UPDATE ON "public"."users" FOR EACH ROW EXECUTE FUNCTION "public"."users_display_name_fill"();

ALTER TABLE "public"."users" ADD COLUMN "created_at" timestamptz NOT NULL DEFAULT now();

ALTER TABLE "public"."users" ADD COLUMN "org_id" bigint;

ALTER TABLE "public"."users" ADD CONSTRAINT "users_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "public"."orgs" ("id") NOT VALID;

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'display_name' AND NOT attisdropped AND atttypid = 'text'::regtype AND attnotnull = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.display_name is not text NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = to_regclass('"public"."users"') AND tgname = 'users_display_name_fill' AND NOT tgisinternal)) THEN
    RAISE EXCEPTION 'Migration verification failed: trigger users_display_name_fill on public.users is missing';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'created_at' AND NOT attisdropped AND atttypid = 'timestamptz'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.created_at is not timestamptz NOT NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'org_id' AND NOT attisdropped AND atttypid = 'bigint'::regtype AND attnotnull = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.org_id is not bigint NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_org_id_fkey' AND convalidated = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_org_id_fkey on public.users is missing or already validated';
  END IF;
END
$verify$;
