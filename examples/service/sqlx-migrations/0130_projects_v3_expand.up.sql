-- Migration: projects v2 -> v3: add owner_id; add archived (default false); add foreign key projects_owner_id_fkey -> public.users NOT VALID
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, version 3
-- Lock: ACCESS EXCLUSIVE, brief (catalog only, waits at most lock_timeout)
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

ALTER TABLE "public"."projects" ADD COLUMN "owner_id" bigint;

ALTER TABLE "public"."projects" ADD COLUMN "archived" boolean NOT NULL DEFAULT false;

ALTER TABLE "public"."projects" ADD CONSTRAINT "projects_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "public"."users" ("id") NOT VALID;

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."projects"') AND attname = 'owner_id' AND NOT attisdropped AND atttypid = 'bigint'::regtype AND attnotnull = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.projects.owner_id is not bigint NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."projects"') AND attname = 'archived' AND NOT attisdropped AND atttypid = 'boolean'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.projects.archived is not boolean NOT NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."projects"') AND conname = 'projects_owner_id_fkey' AND convalidated = false)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint projects_owner_id_fkey on public.projects is missing or already validated';
  END IF;
END
$verify$;
