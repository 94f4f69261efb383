-- Migration: users v1 -> v2: index users_org_id_idx on (org_id) (part 3 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 2
-- Lock: SHARE UPDATE EXCLUSIVE (reads and writes continue)

DO $verify$
BEGIN
  IF NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."users_org_id_idx"') AND indisvalid)) THEN
    RAISE EXCEPTION 'Migration verification failed: index public.users_org_id_idx is missing or invalid';
  END IF;
END
$verify$;
