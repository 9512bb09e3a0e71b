-- Messages that change (PROTOCOL-v2 section 1): edit, reply, mention, reactions, forward,
-- pin, delete for me, clear history, and one change stream (rev) per conversation.
-- Every new column is nullable or has a constant default: adding it rewrites no rows.

-- Each creation or change of a message of the conversation takes the next rev, under the
-- conversation's row lock, so revs commit in order (sync by rev cannot skip one).
-- AlterTable
ALTER TABLE "conversations" ADD COLUMN "last_rev" INTEGER NOT NULL DEFAULT 0;

-- cleared_seq: "clear history for me" hides every message up to this seq from this member.
-- AlterTable
ALTER TABLE "conversation_members" ADD COLUMN "cleared_seq" INTEGER NOT NULL DEFAULT 0;

-- rev: the conversation rev of the message's latest change (0 for messages older than this
-- migration: they had no change a device could have missed).
-- pinned_by has no foreign key: a pin outlives its pinner's account.
-- reply_to / forwarded_from: snapshots taken when the message was sent (jsonb), so a page
-- renders the quote without a second request. mentions: jsonb array of user ids or ["all"].
-- AlterTable
ALTER TABLE "messages" ADD COLUMN "rev" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "edited_at" TIMESTAMPTZ(3),
ADD COLUMN "reply_to" JSONB,
ADD COLUMN "mentions" JSONB,
ADD COLUMN "forwarded_from" JSONB,
ADD COLUMN "pinned_at" TIMESTAMPTZ(3),
ADD COLUMN "pinned_by" UUID;

-- One row per (message, emoji, user): adding twice is a no-op and counts are exact under
-- any concurrency (the primary key decides, not a counter).
-- CreateTable
CREATE TABLE "message_reactions" (
    "message_id" UUID NOT NULL,
    "emoji" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "message_reactions_pkey" PRIMARY KEY ("message_id","emoji","user_id")
);

-- Earlier versions of edited messages, for admins (Prisma Studio); never served.
-- CreateTable
CREATE TABLE "message_edits" (
    "id" UUID NOT NULL,
    "message_id" UUID NOT NULL,
    "content" JSONB,
    "rev" INTEGER NOT NULL,
    "edited_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "message_edits_pkey" PRIMARY KEY ("id")
);

-- Delete for me: a member's own hidden messages.
-- CreateTable
CREATE TABLE "hidden_messages" (
    "user_id" UUID NOT NULL,
    "message_id" UUID NOT NULL,
    "conversation_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "hidden_messages_pkey" PRIMARY KEY ("user_id","message_id")
);

-- sync by rev: messages of a conversation changed after a device's last rev (an index range).
-- CreateIndex
CREATE INDEX "messages_conversation_id_rev_idx" ON "messages"("conversation_id", "rev");

-- GET /conversations/:id/pins.
-- CreateIndex
CREATE INDEX "messages_conversation_id_pinned_at_idx" ON "messages"("conversation_id", "pinned_at");

-- Reactions of a user (account deletion, export).
-- CreateIndex
CREATE INDEX "message_reactions_user_id_idx" ON "message_reactions"("user_id");

-- CreateIndex
CREATE INDEX "message_edits_message_id_idx" ON "message_edits"("message_id");

-- Hidden messages of a member in one conversation (unread counts, list).
-- CreateIndex
CREATE INDEX "hidden_messages_user_id_conversation_id_idx" ON "hidden_messages"("user_id", "conversation_id");

-- CreateIndex
CREATE INDEX "hidden_messages_message_id_idx" ON "hidden_messages"("message_id");

-- AddForeignKey
ALTER TABLE "message_reactions" ADD CONSTRAINT "message_reactions_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "message_reactions" ADD CONSTRAINT "message_reactions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "message_edits" ADD CONSTRAINT "message_edits_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "hidden_messages" ADD CONSTRAINT "hidden_messages_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "hidden_messages" ADD CONSTRAINT "hidden_messages_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "hidden_messages" ADD CONSTRAINT "hidden_messages_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
