-- Rollback of 0122_users_v3_unique_username_3.up.sql: users v2 -> v3: unique users_username_key on (username) (part 3 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 3
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

DO $detach$
BEGIN
  ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_username_key";
END
$detach$;
