-- The audit trail: records appended in the transaction of their work, and the seals that link them into a hash chain.
CREATE TABLE "audit_record" (
    "id" INTEGER NOT NULL CONSTRAINT "pk_audit_record" PRIMARY KEY AUTOINCREMENT,
    "occurred_at" TEXT NOT NULL,
    "user_id" TEXT NULL,
    "user_name" TEXT NULL,
    "role" TEXT NULL,
    "client_id" TEXT NULL,
    "patient_id" TEXT NULL,
    "action" TEXT NOT NULL,
    "resource_type" TEXT NOT NULL,
    "resource_id" TEXT NULL,
    "outcome" TEXT NOT NULL,
    "source_address" TEXT NULL,
    "detail" TEXT NULL,
    "content_hash" TEXT NOT NULL
);

CREATE TABLE "audit_seal" (
    "sequence" INTEGER NOT NULL CONSTRAINT "pk_audit_seal" PRIMARY KEY,
    "record_id" INTEGER NOT NULL,
    "content_hash" TEXT NOT NULL,
    "previous_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "sealed_at" TEXT NOT NULL
);

CREATE INDEX "ix_audit_record_occurred_at" ON "audit_record" ("occurred_at");

CREATE INDEX "ix_audit_record_patient_id_occurred_at" ON "audit_record" ("patient_id", "occurred_at");

CREATE INDEX "ix_audit_record_user_name_occurred_at" ON "audit_record" ("user_name", "occurred_at");

CREATE UNIQUE INDEX "ix_audit_seal_record_id" ON "audit_seal" ("record_id");

-- Append-only: the application never updates or deletes audit records or seals. Someone with file access can still
-- drop these triggers; the hash chain (see verify) is what detects that.
CREATE TRIGGER "audit_record_no_update" BEFORE UPDATE ON "audit_record" BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER "audit_record_no_delete" BEFORE DELETE ON "audit_record" BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER "audit_seal_no_update" BEFORE UPDATE ON "audit_seal" BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER "audit_seal_no_delete" BEFORE DELETE ON "audit_seal" BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
