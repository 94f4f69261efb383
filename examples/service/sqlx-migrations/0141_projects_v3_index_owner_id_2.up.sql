-- no-transaction
-- Migration: projects v2 -> v3: index projects_owner_id_idx on (owner_id) (part 2 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.projects, version 3
-- Lock: SHARE UPDATE EXCLUSIVE (reads and writes continue)

CREATE INDEX CONCURRENTLY IF NOT EXISTS "projects_owner_id_idx" ON "public"."projects" ("owner_id");
