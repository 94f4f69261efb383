-- Migration: projects v2: create table public.projects
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, version 2
-- Lock: SHARE ROW EXCLUSIVE, brief, on the referenced tables
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

CREATE TABLE IF NOT EXISTS "public"."projects" ( "id" bigint NOT NULL, "org_id" bigint NOT NULL, "name" text NOT NULL, "created_at" timestamptz NOT NULL DEFAULT now(), CONSTRAINT "projects_pkey" PRIMARY KEY ("id"), CONSTRAINT "projects_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "public"."orgs" ("id"), CONSTRAINT "projects_name_check" CHECK (length(name) BETWEEN 1 AND 200) );

CREATE INDEX IF NOT EXISTS "projects_org_id_idx" ON "public"."projects" ("org_id");

DO $verify$
BEGIN
  IF NOT (to_regclass('"public"."projects"') IS NOT NULL) THEN
    RAISE EXCEPTION 'Migration verification failed: table public.projects is missing';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."projects"') AND attname = 'id' AND NOT attisdropped AND atttypid = 'bigint'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.projects.id is not bigint NOT NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."projects"') AND attname = 'org_id' AND NOT attisdropped AND atttypid = 'bigint'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.projects.org_id is not bigint NOT NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."projects"') AND attname = 'name' AND NOT attisdropped AND atttypid = 'text'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.projects.name is not text NOT NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."projects"') AND attname = 'created_at' AND NOT attisdropped AND atttypid = 'timestamptz'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.projects.created_at is not timestamptz NOT NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."projects"') AND conname = 'projects_pkey' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint projects_pkey on public.projects is missing or not validated';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."projects"') AND conname = 'projects_org_id_fkey' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint projects_org_id_fkey on public.projects is missing or not validated';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."projects"') AND conname = 'projects_name_check' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint projects_name_check on public.projects is missing or not validated';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."projects_org_id_idx"') AND indisvalid)) THEN
    RAISE EXCEPTION 'Migration verification failed: index public.projects_org_id_idx is missing or invalid';
  END IF;
END
$verify$;
