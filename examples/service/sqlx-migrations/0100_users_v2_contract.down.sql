-- Rollback of 0100_users_v2_contract.up.sql: users v1 -> v2: drop the fill trigger of display_name
-- Date: 2026-11-24
-- Author: service team
-- Phase: contract
-- Table: public.users, version 2
SELECT set_config('lock_timeout', '1s', false), set_config('statement_timeout', '30s', false);

CREATE OR REPLACE FUNCTION "public"."users_display_name_fill"() RETURNS trigger LANGUAGE plpgsql AS $fill$
BEGIN
  IF NEW."display_name" IS NULL THEN
    SELECT (split_part(email, '@', 1)) INTO NEW."display_name" FROM (SELECT NEW.*) AS mg_row;
  END IF;
  RETURN NEW;
END
$fill$;

CREATE TRIGGER "users_display_name_fill" BEFORE INSERT OR UPDATE ON "public"."users" FOR EACH ROW EXECUTE FUNCTION "public"."users_display_name_fill"();

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = to_regclass('"public"."users"') AND tgname = 'users_display_name_fill' AND NOT tgisinternal)) THEN
    RAISE EXCEPTION 'Migration verification failed: trigger users_display_name_fill on public.users is missing';
  END IF;
END
$verify$;
