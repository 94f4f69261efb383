-- Migration: orgs v1: create table public.orgs
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.orgs, version 1
-- Lock: none on existing tables
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

CREATE TABLE IF NOT EXISTS "public"."orgs" ( "id" bigint NOT NULL, "slug" text NOT NULL, "name" text NOT NULL, CONSTRAINT "orgs_pkey" PRIMARY KEY ("id"), CONSTRAINT "orgs_slug_key" UNIQUE ("slug"), CONSTRAINT "orgs_slug_check" CHECK (slug ~ '^[a-z0-9-]+$') );

DO $verify$
BEGIN
  IF NOT (to_regclass('"public"."orgs"') IS NOT NULL) THEN
    RAISE EXCEPTION 'Migration verification failed: table public.orgs is missing';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."orgs"') AND attname = 'id' AND NOT attisdropped AND atttypid = 'bigint'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.orgs.id is not bigint NOT NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."orgs"') AND attname = 'slug' AND NOT attisdropped AND atttypid = 'text'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.orgs.slug is not text NOT NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."orgs"') AND attname = 'name' AND NOT attisdropped AND atttypid = 'text'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.orgs.name is not text NOT NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."orgs"') AND conname = 'orgs_pkey' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint orgs_pkey on public.orgs is missing or not validated';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."orgs"') AND conname = 'orgs_slug_key' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint orgs_slug_key on public.orgs is missing or not validated';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."orgs"') AND conname = 'orgs_slug_check' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint orgs_slug_check on public.orgs is missing or not validated';
  END IF;
END
$verify$;
