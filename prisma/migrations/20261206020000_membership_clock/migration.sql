-- Issue 25, catch-up of new memberships: each user's memberships are numbered in the order
-- they commit, by the database, so `sync` can answer "what did I join after position N"
-- exactly, whatever the nodes' clocks say. `users.membership_clock` is the user's last
-- number; a new `conversation_members` row takes the next one under that users row's lock,
-- which is held until commit, so a number is never visible before a smaller one of the
-- same user (a reader that sees clock N sees every membership numbered up to N).
ALTER TABLE "users" ADD COLUMN "membership_clock" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "conversation_members" ADD COLUMN "joined_clock" INTEGER NOT NULL DEFAULT 0;

-- Existing memberships get distinct numbers in join order, so paging by number is exact.
UPDATE "conversation_members" m SET "joined_clock" = n.k
FROM (SELECT "conversation_id", "user_id", row_number() OVER (PARTITION BY "user_id" ORDER BY "joined_at", "conversation_id")::int AS k
      FROM "conversation_members") n
WHERE m."conversation_id" = n."conversation_id" AND m."user_id" = n."user_id";
UPDATE "users" u SET "membership_clock" = c.k
FROM (SELECT "user_id", max("joined_clock") AS k FROM "conversation_members" GROUP BY "user_id") c
WHERE u."id" = c."user_id";

CREATE FUNCTION "membership_clock_tick"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "users" SET "membership_clock" = "membership_clock" + 1 WHERE "id" = NEW."user_id"
    RETURNING "membership_clock" INTO NEW."joined_clock";
  RETURN NEW;
END
$$;

CREATE TRIGGER "conversation_members_membership_clock" BEFORE INSERT ON "conversation_members"
  FOR EACH ROW EXECUTE FUNCTION "membership_clock_tick"();

CREATE INDEX "conversation_members_user_id_joined_clock_idx" ON "conversation_members" ("user_id", "joined_clock");
