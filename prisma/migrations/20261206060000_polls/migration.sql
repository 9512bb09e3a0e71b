-- Polls: a message kind (src/modules/message-kinds/poll.ts), its votes and its closing.
-- AlterEnum
ALTER TYPE "message_type" ADD VALUE 'poll';

-- Who closed a poll and when (a closesAt in the content closes it without these).
-- AlterTable
ALTER TABLE "messages" ADD COLUMN "poll_closed_at" TIMESTAMPTZ(3),
ADD COLUMN "poll_closed_by" UUID;

-- One row per (poll, voter, chosen option): counts are exact under concurrent votes. Kept for
-- anonymous polls too (a vote is changed and retracted by its voter), never served for them.
-- CreateTable
CREATE TABLE "poll_votes" (
    "message_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "option_index" SMALLINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "poll_votes_pkey" PRIMARY KEY ("message_id","user_id","option_index")
);

-- CreateIndex
CREATE INDEX "poll_votes_user_id_idx" ON "poll_votes"("user_id");

-- AddForeignKey
ALTER TABLE "poll_votes" ADD CONSTRAINT "poll_votes_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "poll_votes" ADD CONSTRAINT "poll_votes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
