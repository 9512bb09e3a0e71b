-- A thread summary's own rev, on its conversation's rev sequence (docs/protocol.md, "Threads"):
-- a reply moves the summary's rev instead of the root message's, so it no longer rewrites the
-- root's messages row and every index entry of it (both search GIN indexes included).
-- The root's rev as served is the greater of the two; sync {revs} reads both.
-- Existing roots had their row's rev moved by each reply, so 0 is right for them.
-- AlterTable
ALTER TABLE "thread_summaries" ADD COLUMN "rev" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "thread_summaries_conversation_id_rev_idx" ON "thread_summaries"("conversation_id", "rev");

-- My state of a thread changed (follow, unfollow, read position moved on another device): the
-- change takes the conversation's next rev, so sync {revs, threads} finds the followed threads
-- whose state changed since a device's rev (the summary's rev covers replies, and the follows
-- a reply writes).
-- AlterTable
ALTER TABLE "thread_follows" ADD COLUMN "rev" INTEGER NOT NULL DEFAULT 0;
