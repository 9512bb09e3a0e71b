-- Public channels (PROTOCOL-v2 section 3): a third conversation type, open to join.
-- ADD VALUE runs inside the migrator's transaction (PostgreSQL 12+, PGlite too); the new
-- value cannot be used before that transaction commits, so nothing below names 'channel'
-- (the indexes are not partial on the type).
ALTER TYPE "conversation_type" ADD VALUE IF NOT EXISTS 'channel';

-- The group profile (migration 20261202000100) adds `topic` already; IF NOT EXISTS keeps this
-- migration valid on its own.
ALTER TABLE "conversations" ADD COLUMN IF NOT EXISTS "topic" TEXT;

-- Members, kept by the trigger below in the transaction that adds or removes them (joins,
-- leaves, group changes, account deletion's cascades alike): GET /channels orders by it.
ALTER TABLE "conversations" ADD COLUMN "member_count" INTEGER NOT NULL DEFAULT 0;
UPDATE "conversations" c SET "member_count" = (SELECT count(*) FROM "conversation_members" m WHERE m."conversation_id" = c."id");

CREATE FUNCTION "conversation_member_count"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "conversations" SET "member_count" = "member_count" + 1 WHERE "id" = NEW."conversation_id";
    RETURN NEW;
  END IF;
  UPDATE "conversations" SET "member_count" = "member_count" - 1 WHERE "id" = OLD."conversation_id";
  RETURN OLD;
END
$$;

CREATE TRIGGER "conversation_members_count" AFTER INSERT OR DELETE ON "conversation_members"
  FOR EACH ROW EXECUTE FUNCTION "conversation_member_count"();

-- GET /channels: most members first, keyset on (member_count, id), one index range.
-- CreateIndex
CREATE INDEX "conversations_type_member_count_id_idx" ON "conversations"("type", "member_count" DESC, "id" DESC);

-- GET /channels?q=: case-insensitive substring (ILIKE) through trigrams (pg_trgm, created by
-- the message search migration).
-- CreateIndex
CREATE INDEX "conversations_name_trgm_idx" ON "conversations" USING GIN ("name" gin_trgm_ops);
