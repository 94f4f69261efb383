-- Rollback of 0120_users_v3_unique_username_1.up.sql: users v2 -> v3: unique users_username_key on (username) (part 1 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 3
-- Nothing to undo for this part.
SELECT 1;
