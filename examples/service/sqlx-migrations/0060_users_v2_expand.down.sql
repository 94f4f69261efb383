-- Rollback of 0060_users_v2_expand.up.sql: users v1 -> v2: add display_name (backfilled, NOT NULL later); add created_at (default now()); add org_id; add foreign key users_org_id_fkey -> public.orgs NOT VALID
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 2
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_org_id_fkey";

ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "org_id";

ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "created_at";

DROP TRIGGER IF EXISTS "users_display_name_fill" ON "public"."users";

DROP FUNCTION IF EXISTS "public"."users_display_name_fill"();

ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "display_name";

DO $verify$
BEGIN
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('"public"."users"') AND conname = 'users_org_id_fkey')) THEN
    RAISE EXCEPTION 'Migration verification failed: constraint users_org_id_fkey on public.users still exists';
  END IF;
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'org_id' AND NOT attisdropped)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.org_id still exists';
  END IF;
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'created_at' AND NOT attisdropped)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.created_at still exists';
  END IF;
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"public"."users"') AND attname = 'display_name' AND NOT attisdropped)) THEN
    RAISE EXCEPTION 'Migration verification failed: column public.users.display_name still exists';
  END IF;
  IF NOT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname = 'users_display_name_fill')) THEN
    RAISE EXCEPTION 'Migration verification failed: function public.users_display_name_fill still exists';
  END IF;
END
$verify$;
