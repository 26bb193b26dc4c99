-- Staff identity (ASP.NET Core Identity), OAuth clients, the token signing key and Data Protection keys.
CREATE TABLE "identity_api_client" (
    "client_id" TEXT NOT NULL CONSTRAINT "pk_identity_api_client" PRIMARY KEY,
    "name" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "allowed_scopes" TEXT NOT NULL,
    "user_id" TEXT NULL,
    "is_active" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL
);

CREATE TABLE "identity_data_protection_key" (
    "id" INTEGER NOT NULL CONSTRAINT "pk_identity_data_protection_key" PRIMARY KEY AUTOINCREMENT,
    "friendly_name" TEXT NULL,
    "xml" TEXT NOT NULL
);

CREATE TABLE "identity_role" (
    "id" TEXT NOT NULL CONSTRAINT "pk_identity_role" PRIMARY KEY,
    "name" TEXT NULL,
    "normalized_name" TEXT NULL,
    "concurrency_stamp" TEXT NULL
);

CREATE TABLE "identity_signing_key" (
    "key_id" TEXT NOT NULL CONSTRAINT "pk_identity_signing_key" PRIMARY KEY,
    "private_key_pem" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "is_active" INTEGER NOT NULL
);

CREATE TABLE "identity_user" (
    "id" TEXT NOT NULL CONSTRAINT "pk_identity_user" PRIMARY KEY,
    "display_name" TEXT NOT NULL,
    "is_active" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    "user_name" TEXT NULL,
    "normalized_user_name" TEXT NULL,
    "email" TEXT NULL,
    "normalized_email" TEXT NULL,
    "email_confirmed" INTEGER NOT NULL,
    "password_hash" TEXT NULL,
    "security_stamp" TEXT NULL,
    "concurrency_stamp" TEXT NULL,
    "phone_number" TEXT NULL,
    "phone_number_confirmed" INTEGER NOT NULL,
    "two_factor_enabled" INTEGER NOT NULL,
    "lockout_end" TEXT NULL,
    "lockout_enabled" INTEGER NOT NULL,
    "access_failed_count" INTEGER NOT NULL
);

CREATE TABLE "identity_role_claim" (
    "id" INTEGER NOT NULL CONSTRAINT "pk_identity_role_claim" PRIMARY KEY AUTOINCREMENT,
    "role_id" TEXT NOT NULL,
    "claim_type" TEXT NULL,
    "claim_value" TEXT NULL,
    CONSTRAINT "fk_identity_role_claim_role_id" FOREIGN KEY ("role_id") REFERENCES "identity_role" ("id") ON DELETE CASCADE
);

CREATE TABLE "identity_user_claim" (
    "id" INTEGER NOT NULL CONSTRAINT "pk_identity_user_claim" PRIMARY KEY AUTOINCREMENT,
    "user_id" TEXT NOT NULL,
    "claim_type" TEXT NULL,
    "claim_value" TEXT NULL,
    CONSTRAINT "fk_identity_user_claim_user_id" FOREIGN KEY ("user_id") REFERENCES "identity_user" ("id") ON DELETE CASCADE
);

CREATE TABLE "identity_user_login" (
    "login_provider" TEXT NOT NULL,
    "provider_key" TEXT NOT NULL,
    "provider_display_name" TEXT NULL,
    "user_id" TEXT NOT NULL,
    CONSTRAINT "pk_identity_user_login" PRIMARY KEY ("login_provider", "provider_key"),
    CONSTRAINT "fk_identity_user_login_user_id" FOREIGN KEY ("user_id") REFERENCES "identity_user" ("id") ON DELETE CASCADE
);

CREATE TABLE "identity_user_role" (
    "user_id" TEXT NOT NULL,
    "role_id" TEXT NOT NULL,
    CONSTRAINT "pk_identity_user_role" PRIMARY KEY ("user_id", "role_id"),
    CONSTRAINT "fk_identity_user_role_role_id" FOREIGN KEY ("role_id") REFERENCES "identity_role" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_identity_user_role_user_id" FOREIGN KEY ("user_id") REFERENCES "identity_user" ("id") ON DELETE CASCADE
);

CREATE TABLE "identity_user_token" (
    "user_id" TEXT NOT NULL,
    "login_provider" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "value" TEXT NULL,
    CONSTRAINT "pk_identity_user_token" PRIMARY KEY ("user_id", "login_provider", "name"),
    CONSTRAINT "fk_identity_user_token_user_id" FOREIGN KEY ("user_id") REFERENCES "identity_user" ("id") ON DELETE CASCADE
);

CREATE INDEX "ix_identity_api_client_user_id" ON "identity_api_client" ("user_id");

CREATE UNIQUE INDEX "ix_identity_role_normalized_name" ON "identity_role" ("normalized_name");

CREATE INDEX "ix_identity_role_claim_role_id" ON "identity_role_claim" ("role_id");

CREATE INDEX "ix_identity_user_normalized_email" ON "identity_user" ("normalized_email");

CREATE UNIQUE INDEX "ix_identity_user_normalized_user_name" ON "identity_user" ("normalized_user_name");

CREATE INDEX "ix_identity_user_claim_user_id" ON "identity_user_claim" ("user_id");

CREATE INDEX "ix_identity_user_login_user_id" ON "identity_user_login" ("user_id");

CREATE INDEX "ix_identity_user_role_role_id" ON "identity_user_role" ("role_id");
