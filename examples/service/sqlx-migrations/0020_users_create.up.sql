-- Migration: users v1: create table public.users
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 1
-- Lock: none on existing tables
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

CREATE TABLE IF NOT EXISTS "public"."users" ( "id" bigint NOT NULL, "email" text NOT NULL, CONSTRAINT "users_pkey" PRIMARY KEY ("id"), CONSTRAINT "users_email_key" UNIQUE ("email") );

DO $verify$
BEGIN
  IF NOT (to_regclass('"public"."users"') IS NOT NULL) THEN
    RAISE EXCEPTION 'Migration verification failed: table public.users is missing';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'id' AND NOT attisdropped AND atttypid = 'bigint'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.id is not bigint NOT NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'email' AND NOT attisdropped AND atttypid = 'text'::regtype AND attnotnull = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.email is not text NOT NULL';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_pkey' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_pkey on public.users is missing or not validated';
  END IF;
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_email_key' AND convalidated = true)) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_email_key on public.users is missing or not validated';
  END IF;
END
$verify$;
