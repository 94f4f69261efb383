-- no-transaction
-- Rollback of 0081_users_v2_index_org_id_2.up.sql: users v1 -> v2: index users_org_id_idx on (org_id) (part 2 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 2

DROP INDEX CONCURRENTLY IF EXISTS "public"."users_org_id_idx";
