-- Groups that run themselves (PROTOCOL-v2 sections 2 and 3, without channels): per-member
-- conversation settings, the group profile, system messages, invite links and removals.
-- Every new column is nullable or has a constant default: adding it rewrites no rows.

-- System messages (membership and profile changes). A value added here cannot be used in
-- the same transaction; nothing in this migration uses it.
-- AlterEnum
ALTER TYPE "message_type" ADD VALUE 'system';

-- AlterTable
ALTER TABLE "conversations" ADD COLUMN "topic" TEXT,
ADD COLUMN "avatar_url" TEXT;

-- Settings of one member. notify: 'all' | 'mentions' | 'none' (checked by the app).
-- archived is the member's choice; it is in effect only while no non-system message newer
-- than archived_seq arrived outside a mute (derived when listing: the send path writes
-- nothing per member). pinned_at orders the pinned conversations.
-- AlterTable
ALTER TABLE "conversation_members" ADD COLUMN "notify" TEXT NOT NULL DEFAULT 'all',
ADD COLUMN "muted_until" TIMESTAMPTZ(3),
ADD COLUMN "archived" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN "archived_seq" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "pinned_at" TIMESTAMPTZ(3);

-- Invite links: only a SHA-256 hash of the code is stored (the code is shown once).
-- CreateTable
CREATE TABLE "group_invites" (
    "id" UUID NOT NULL,
    "conversation_id" UUID NOT NULL,
    "code_hash" TEXT NOT NULL,
    "created_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),
    "max_uses" INTEGER,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "group_invites_pkey" PRIMARY KEY ("id")
);

-- The last removal of a user from a group by its owner or an admin: an invite made before
-- it does not let them back in.
-- CreateTable
CREATE TABLE "group_removals" (
    "conversation_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "removed_by" UUID,
    "removed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "group_removals_pkey" PRIMARY KEY ("conversation_id","user_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "group_invites_code_hash_key" ON "group_invites"("code_hash");

-- CreateIndex
CREATE INDEX "group_invites_conversation_id_idx" ON "group_invites"("conversation_id");

-- AddForeignKey
ALTER TABLE "group_invites" ADD CONSTRAINT "group_invites_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_removals" ADD CONSTRAINT "group_removals_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_removals" ADD CONSTRAINT "group_removals_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
