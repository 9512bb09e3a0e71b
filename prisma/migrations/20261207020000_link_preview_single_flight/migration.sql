-- Single-flight link-preview fetches: a cache row with pending = true is a claim (until
-- expires_at) by the node fetching the URL; the others wait for its result instead of fetching too.
-- AlterTable
ALTER TABLE "link_preview_cache" ADD COLUMN "pending" BOOLEAN NOT NULL DEFAULT false;
