-- Threads (docs/protocol.md, "Threads"): a reply names its root; replies keep the
-- conversation's seq. thread_in_chat: the reply was also sent to the chat (it shows in the
-- main timeline). No foreign key on thread_root_id (like pinned_by): the root's row is never
-- deleted while it has replies (recall keeps the row), and a plain send pays no FK check.
-- AlterTable
ALTER TABLE "messages" ADD COLUMN "thread_root_id" UUID,
ADD COLUMN "thread_in_chat" BOOLEAN NOT NULL DEFAULT false;

-- A thread's replies in seq order; partial, so plain messages add nothing to it.
CREATE INDEX "messages_thread_root_id_seq_idx" ON "messages"("thread_root_id", "seq") WHERE "thread_root_id" IS NOT NULL;

-- One row per root, written by the send statement under the conversation's row lock: counts are exact.
-- CreateTable
CREATE TABLE "thread_summaries" (
    "root_id" UUID NOT NULL,
    "conversation_id" UUID NOT NULL,
    "reply_count" INTEGER NOT NULL DEFAULT 0,
    "last_reply_seq" INTEGER NOT NULL,
    "last_reply_at" TIMESTAMPTZ(3) NOT NULL,
    "last_repliers" UUID[] DEFAULT ARRAY[]::UUID[],

    CONSTRAINT "thread_summaries_pkey" PRIMARY KEY ("root_id")
);

-- CreateIndex
CREATE INDEX "thread_summaries_conversation_id_last_reply_seq_idx" ON "thread_summaries"("conversation_id", "last_reply_seq");

-- Who follows a thread, and how far they read it (a conversation seq).
-- CreateTable
CREATE TABLE "thread_follows" (
    "root_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "following" BOOLEAN NOT NULL DEFAULT true,
    "read_seq" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "thread_follows_pkey" PRIMARY KEY ("root_id","user_id")
);

-- CreateIndex
CREATE INDEX "thread_follows_user_id_idx" ON "thread_follows"("user_id");

-- AddForeignKey
ALTER TABLE "thread_summaries" ADD CONSTRAINT "thread_summaries_root_id_fkey" FOREIGN KEY ("root_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "thread_summaries" ADD CONSTRAINT "thread_summaries_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "thread_follows" ADD CONSTRAINT "thread_follows_root_id_fkey" FOREIGN KEY ("root_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "thread_follows" ADD CONSTRAINT "thread_follows_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
