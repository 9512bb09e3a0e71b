-- Who sees a user's presence (online, last seen): anyone, friends only (the default: what
-- live presence always did), or nobody.
CREATE TYPE "presence_visibility" AS ENUM ('everyone', 'contacts', 'nobody');
ALTER TABLE "users" ADD COLUMN "presence_visibility" "presence_visibility" NOT NULL DEFAULT 'contacts';

-- Admin removal follows a message to its forwarded copies, and a download through a copy
-- checks its origin: both look copies up by the origin they name.
CREATE INDEX "messages_forward_origin_idx" ON "messages" (((forwarded_from->>'messageId')::uuid)) WHERE forwarded_from IS NOT NULL;

-- Live events leave out members who cleared past a message; few members ever clear, so only
-- they are indexed.
CREATE INDEX "conversation_members_cleared_seq_idx" ON "conversation_members" ("conversation_id", "cleared_seq") WHERE cleared_seq > 0;
