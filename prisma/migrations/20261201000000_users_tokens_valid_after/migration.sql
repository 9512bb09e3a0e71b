-- A password change sets this; access tokens of the user issued before it are refused
-- (src/plugins/auth.ts). Nullable without a default: adding it rewrites no rows.
-- AlterTable
ALTER TABLE "users" ADD COLUMN "tokens_valid_after" TIMESTAMPTZ(3);

-- Each node loads the cutoffs of the last access-token lifetime at start (a range scan).
-- CreateIndex
CREATE INDEX "users_tokens_valid_after_idx" ON "users"("tokens_valid_after");
