-- no-transaction
-- Migration: users v2 -> v3: unique users_username_key on (username) (part 2 of 3)
-- Date: 2026-11-24
-- Author: service team
-- Phase: expand
-- Table: public.users, version 3
-- Lock: SHARE UPDATE EXCLUSIVE while building (reads and writes continue); ACCESS EXCLUSIVE, brief, to attach

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_username_key" ON "public"."users" ("username");
