-- no-transaction
-- Rollback of 0121_users_v3_unique_username_2.up.sql: users v2 -> v3: unique users_username_key on (username) (part 2 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 3

DROP INDEX CONCURRENTLY IF EXISTS "public"."users_username_key";
