-- Retention (src/modules/housekeeping/retention.ts, docs/protocol.md "Retention").
-- Expand-only (README, "Upgrades"): a nullable column and one with a default, which the
-- previous release neither reads nor writes (test/db/upgrade.test.ts runs it on this schema).

-- A group's or channel's own policy in days (null: the server's RETENTION_DAYS), and where its
-- history now starts: the purge moves it up before it deletes; seqs are never renumbered.
-- AlterTable
ALTER TABLE "conversations" ADD COLUMN "retention_days" INTEGER,
ADD COLUMN "history_start_seq" INTEGER NOT NULL DEFAULT 0;
