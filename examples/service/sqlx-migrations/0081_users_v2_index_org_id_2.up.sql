-- no-transaction
-- Migration: users v1 -> v2: index users_org_id_idx on (org_id) (part 2 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 2
-- Lock: SHARE UPDATE EXCLUSIVE (reads and writes continue)

CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_org_id_idx" ON "public"."users" ("org_id");
