-- Link previews (src/modules/link-previews, docs/protocol.md "Link previews").

-- The URL a message wants a preview of (its text's first http(s) URL, unless the sender sent
-- it without one or removed it) and the preview attached after the fetch.
-- AlterTable
ALTER TABLE "messages" ADD COLUMN "link_preview_url" TEXT,
ADD COLUMN "link_preview" JSONB;

-- Written by the send statement (and an edit that changes the URL) in the message's own
-- transaction; moved into the job queue by the relay: a fetch exists iff its message committed.
-- CreateTable
CREATE TABLE "link_preview_outbox" (
    "message_id" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "link_preview_outbox_pkey" PRIMARY KEY ("message_id")
);

-- One fetch per URL for LINK_PREVIEW_CACHE_S: preview null when the page gave nothing to show.
-- CreateTable
CREATE TABLE "link_preview_cache" (
    "url" TEXT NOT NULL,
    "preview" JSONB,
    "fetched_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "link_preview_cache_pkey" PRIMARY KEY ("url")
);

-- CreateIndex
CREATE INDEX "link_preview_cache_expires_at_idx" ON "link_preview_cache"("expires_at");

-- Who may load a preview image (uploads' SHARED_UPLOAD_SQL) finds the messages showing it by this.
-- CreateIndex
CREATE INDEX "messages_link_preview_image_idx" ON "messages" ((link_preview->>'image')) WHERE link_preview IS NOT NULL;
