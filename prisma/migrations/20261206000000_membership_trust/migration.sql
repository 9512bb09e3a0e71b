-- Issue 22, membership and roles: rules the database keeps on every path (API, the admin
-- command line, hand-written SQL), because each path checking for itself is how they broke.

-- 1. Bots are never platform admins: the admin routes refuse bot tokens, so a bot admin only
-- counted towards "another admin is left" while being no admin at all. Existing ones become
-- plain users first (they could never use the role).
UPDATE "users" SET "role" = 'user' WHERE "is_bot" AND "role" = 'admin';
ALTER TABLE "users" ADD CONSTRAINT "users_bot_never_admin" CHECK (NOT ("is_bot" AND "role" = 'admin'));

-- 2. At least one active human platform admin remains. The one place that decides it: any
-- change of a users row that takes an active human admin away (demotion, suspension,
-- deletion, a hard DELETE) is refused with SQLSTATE RA001 when no other one is left.
-- Race-safe: the check runs under one transaction-scoped advisory lock, held until commit,
-- and its query takes a fresh snapshot (READ COMMITTED), so of two admins demoting or
-- suspending each other at once the second sees the first's commit and is refused.
CREATE FUNCTION "platform_admin_remains_without"(excluded UUID) RETURNS BOOLEAN LANGUAGE sql VOLATILE AS $$
  SELECT EXISTS (
    SELECT 1 FROM "users"
    WHERE "role" = 'admin' AND NOT "is_bot" AND "deleted_at" IS NULL AND "id" <> excluded
      AND ("suspended_at" IS NULL OR ("suspended_until" IS NOT NULL AND "suspended_until" <= now()))
  )
$$;

CREATE FUNCTION "platform_admin_must_remain"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Only a row that was an active human admin can take the last one away.
  IF NOT (OLD."role" = 'admin' AND NOT OLD."is_bot" AND OLD."deleted_at" IS NULL
          AND (OLD."suspended_at" IS NULL OR (OLD."suspended_until" IS NOT NULL AND OLD."suspended_until" <= now()))) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW."role" = 'admin' AND NOT NEW."is_bot" AND NEW."deleted_at" IS NULL
     AND (NEW."suspended_at" IS NULL OR (NEW."suspended_until" IS NOT NULL AND NEW."suspended_until" <= now())) THEN
    RETURN NULL;
  END IF;
  -- 0x7265_6c61 ("rela"): one key for every change of the admin set.
  PERFORM pg_advisory_xact_lock(1919249505);
  IF NOT "platform_admin_remains_without"(OLD."id") THEN
    RAISE EXCEPTION 'At least one active platform admin must remain' USING ERRCODE = 'RA001';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "users_platform_admin_must_remain" AFTER UPDATE OR DELETE ON "users"
  FOR EACH ROW WHEN (OLD."role" = 'admin') EXECUTE FUNCTION "platform_admin_must_remain"();

-- 3. A bot's webhook position lives exactly as long as its membership: a removal (leave,
-- removal, account deletion, the conversation's deletion) ends it, and a join starts it where
-- every joiner's cursors start (its delivered_seq: the head at the join), so a bot added back
-- gets neither what was sent while it was out nor its own removal notice.
CREATE FUNCTION "webhook_cursor_follows_membership"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM "webhook_cursors" WHERE "bot_id" = OLD."user_id" AND "conversation_id" = OLD."conversation_id";
    RETURN NULL;
  END IF;
  INSERT INTO "webhook_cursors" ("bot_id", "conversation_id", "seq", "updated_at")
  SELECT b."user_id", NEW."conversation_id", NEW."delivered_seq", now() FROM "bots" b
  WHERE b."user_id" = NEW."user_id" AND b."webhook_url" IS NOT NULL
  ON CONFLICT ("bot_id", "conversation_id") DO UPDATE SET "seq" = EXCLUDED."seq", "attempts" = 0, "next_attempt_at" = NULL,
    "lease_id" = NULL, "lease_until" = NULL, "updated_at" = now();
  RETURN NULL;
END
$$;

CREATE TRIGGER "conversation_members_webhook_cursor" AFTER INSERT OR DELETE ON "conversation_members"
  FOR EACH ROW EXECUTE FUNCTION "webhook_cursor_follows_membership"();

-- Cursors of memberships that already ended.
DELETE FROM "webhook_cursors" w WHERE NOT EXISTS (
  SELECT 1 FROM "conversation_members" m WHERE m."conversation_id" = w."conversation_id" AND m."user_id" = w."bot_id");

-- 4. Invites by their maker: a demotion or departure revokes the maker's live invites.
-- DropIndex (the new one serves its lookups too)
DROP INDEX "group_invites_conversation_id_idx";

-- CreateIndex
CREATE INDEX "group_invites_conversation_id_created_by_idx" ON "group_invites"("conversation_id", "created_by");
