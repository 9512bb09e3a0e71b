-- Server API (src/modules/server-api): keys for app backends and users known by the app's own id.

-- A key is shown once; only its SHA-256 is kept. Revoked keys stay (the audit log names them).
-- CreateTable
CREATE TABLE "server_keys" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "scopes" TEXT[],
    "created_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "server_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "server_keys_key_hash_key" ON "server_keys"("key_hash");

-- The app backend's own id for a user it created (PUT /api/server/users/:externalId); null for everybody else.
-- AlterTable
ALTER TABLE "users" ADD COLUMN "external_id" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "users_external_id_key" ON "users"("external_id");
