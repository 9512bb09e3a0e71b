-- Scheduled messages (src/modules/scheduled): a message a member asked to be sent later. The
-- row is the whole state: 'scheduled' (editable, cancellable) -> 'queued' (the relay moved it
-- into the job queue when due, in the same statement) -> 'sending' (a worker claimed it) ->
-- 'sent' (message_id set) or 'failed' (error_code, error_message). The message is sent with
-- the row's client_msg_id, so a retried job finds the message already stored and never sends twice.
-- CreateEnum
CREATE TYPE "scheduled_status" AS ENUM ('scheduled', 'queued', 'sending', 'sent', 'failed');

-- CreateTable
CREATE TABLE "scheduled_messages" (
    "id" UUID NOT NULL,
    "sender_id" UUID NOT NULL,
    "conversation_id" UUID NOT NULL,
    "client_msg_id" TEXT NOT NULL,
    "type" "message_type" NOT NULL,
    "content" JSONB NOT NULL,
    "reply_to" UUID,
    "mentions" JSONB,
    "send_at" TIMESTAMPTZ(3) NOT NULL,
    "status" "scheduled_status" NOT NULL DEFAULT 'scheduled',
    "message_id" UUID,
    "error_code" TEXT,
    "error_message" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scheduled_messages_pkey" PRIMARY KEY ("id")
);

-- A sender's clientMsgId names one scheduled message (a repeated schedule returns it).
-- CreateIndex
CREATE UNIQUE INDEX "scheduled_messages_sender_id_client_msg_id_key" ON "scheduled_messages"("sender_id", "client_msg_id");

-- A sender's list per conversation.
-- CreateIndex
CREATE INDEX "scheduled_messages_sender_id_conversation_id_idx" ON "scheduled_messages"("sender_id", "conversation_id");

-- CreateIndex
CREATE INDEX "scheduled_messages_conversation_id_idx" ON "scheduled_messages"("conversation_id");

-- The relay's scan: only rows still waiting, by time.
CREATE INDEX "scheduled_messages_due_idx" ON "scheduled_messages"("send_at") WHERE "status" = 'scheduled';

-- AddForeignKey
ALTER TABLE "scheduled_messages" ADD CONSTRAINT "scheduled_messages_sender_id_fkey" FOREIGN KEY ("sender_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "scheduled_messages" ADD CONSTRAINT "scheduled_messages_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
