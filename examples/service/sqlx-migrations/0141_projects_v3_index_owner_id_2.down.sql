-- no-transaction
-- Rollback of 0141_projects_v3_index_owner_id_2.up.sql: projects v2 -> v3: index projects_owner_id_idx on (owner_id) (part 2 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, version 3

DROP INDEX CONCURRENTLY IF EXISTS "public"."projects_owner_id_idx";
