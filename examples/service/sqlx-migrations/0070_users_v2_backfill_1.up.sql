-- no-transaction
-- Migration: users v1 -> v2: backfill display_name in batches of 1000 (part 1 of 2)
-- Date: 2026-11-24
-- Author: service team
-- Phase: backfill
-- Table: public.users, version 2
-- Lock: ROW EXCLUSIVE; row locks one batch at a time

DO $backfill$
DECLARE
  mg_batch_size CONSTANT integer := 1000;
  mg_lo_1 "public"."users"."id"%TYPE;
  mg_hi_1 "public"."users"."id"%TYPE;
  mg_end_1 "public"."users"."id"%TYPE;
  mg_batch_rows bigint;
  mg_total_rows bigint := 0;
  mg_batches bigint := 0;
  mg_attempts integer;
BEGIN
  PERFORM set_config('lock_timeout', '1s', false), set_config('statement_timeout', '0', false);
  SELECT "id" INTO mg_hi_1 FROM "public"."users" ORDER BY "id" DESC LIMIT 1;
  IF NOT FOUND THEN
    RAISE NOTICE 'backfill public.users: no rows';
    RETURN;
  END IF;
  SELECT "id" INTO mg_lo_1 FROM "public"."users" ORDER BY "id" LIMIT 1;
  LOOP
    SELECT "id" INTO mg_end_1 FROM (
      SELECT "id" FROM "public"."users" WHERE ("id") >= (mg_lo_1) AND ("id") <= (mg_hi_1) ORDER BY "id" LIMIT mg_batch_size
    ) AS mg_batch ORDER BY "id" DESC LIMIT 1;
    EXIT WHEN NOT FOUND;
    mg_attempts := 0;
    LOOP
      BEGIN
        UPDATE "public"."users" SET "display_name" = COALESCE("display_name", (split_part(email, '@', 1)))
          WHERE ("id") >= (mg_lo_1) AND ("id") <= (mg_end_1) AND ("display_name" IS NULL);
        GET DIAGNOSTICS mg_batch_rows = ROW_COUNT;
        EXIT;
      EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
        mg_attempts := mg_attempts + 1;
        IF mg_attempts >= 10 THEN
          RAISE;
        END IF;
        RAISE NOTICE 'backfill public.users: a batch waited longer than lock_timeout; retry % of 9', mg_attempts;
        PERFORM pg_sleep(0.1 * mg_attempts);
      END;
    END LOOP;
    COMMIT;
    mg_total_rows := mg_total_rows + mg_batch_rows;
    mg_batches := mg_batches + 1;
    RAISE DEBUG 'migrate-gen progress % rows', mg_total_rows;
    IF mg_batches % 100 = 0 THEN
      RAISE NOTICE 'backfill public.users: % rows filled in % batches', mg_total_rows, mg_batches;
    END IF;
    SELECT "id" INTO mg_lo_1 FROM "public"."users" WHERE ("id") > (mg_end_1) ORDER BY "id" LIMIT 1;
    EXIT WHEN NOT FOUND OR (mg_lo_1) > (mg_hi_1);
  END LOOP;
  RAISE NOTICE 'backfill public.users: done, % rows filled in % batches', mg_total_rows, mg_batches;
END
$backfill$;
