-- OpenID Connect sign-in (src/modules/auth/oidc*.ts).

-- An account at a provider linked to a user: by (issuer, subject), never by e-mail. One link per
-- configured provider per user.
-- CreateTable
CREATE TABLE "oidc_identities" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oidc_identities_pkey" PRIMARY KEY ("id")
);

-- A started sign-in or link: found by the SHA-256 of its `state`; the nonce and the PKCE verifier
-- are derived from the state with a server key, so neither is stored. Single use, short-lived.
-- CreateTable
CREATE TABLE "oidc_flows" (
    "id" UUID NOT NULL,
    "state_hash" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "user_id" UUID,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oidc_flows_pkey" PRIMARY KEY ("id")
);

-- The one-time code the callback puts in the page's URL fragment; the page exchanges it by POST.
-- SHA-256 only, single use, 60 seconds. No tokens are stored: the exchange starts the session.
-- CreateTable
CREATE TABLE "oidc_handoffs" (
    "id" UUID NOT NULL,
    "code_hash" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oidc_handoffs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "oidc_identities_issuer_subject_key" ON "oidc_identities"("issuer", "subject");

-- CreateIndex
CREATE UNIQUE INDEX "oidc_identities_user_id_provider_key" ON "oidc_identities"("user_id", "provider");

-- CreateIndex
CREATE UNIQUE INDEX "oidc_flows_state_hash_key" ON "oidc_flows"("state_hash");

-- CreateIndex
CREATE INDEX "oidc_flows_expires_at_idx" ON "oidc_flows"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "oidc_handoffs_code_hash_key" ON "oidc_handoffs"("code_hash");

-- CreateIndex
CREATE INDEX "oidc_handoffs_expires_at_idx" ON "oidc_handoffs"("expires_at");

-- AddForeignKey
ALTER TABLE "oidc_identities" ADD CONSTRAINT "oidc_identities_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
