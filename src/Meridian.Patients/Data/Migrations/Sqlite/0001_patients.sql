-- Patients module, SQLite. Generated from the EF model with GenerateCreateScript, then reviewed by hand.
-- Normalized *_norm columns use SQLite's default BINARY collation, so prefix ranges (>= p AND < p') seek the indexes.
CREATE TABLE "patients_counter" (
    "name" TEXT NOT NULL CONSTRAINT "pk_patients_counter" PRIMARY KEY,
    "last_value" INTEGER NOT NULL
);
CREATE TABLE "patients_merge" (
    "id" TEXT NOT NULL CONSTRAINT "pk_patients_merge" PRIMARY KEY,
    "survivor_id" TEXT NOT NULL,
    "merged_id" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "merged_at" TEXT NOT NULL,
    "merged_by_user_id" TEXT NULL,
    "merged_by_user_name" TEXT NULL,
    "survivor_snapshot" TEXT NOT NULL,
    "merged_snapshot" TEXT NOT NULL
);
CREATE TABLE "patients_patient" (
    "id" TEXT NOT NULL CONSTRAINT "pk_patients_patient" PRIMARY KEY,
    "mrn" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    "active" INTEGER NOT NULL,
    "merged_into_id" TEXT NULL,
    "family_name" TEXT NOT NULL,
    "given_names" TEXT NOT NULL,
    "name_prefix" TEXT NULL,
    "name_suffix" TEXT NULL,
    "preferred_name" TEXT NULL,
    "birth_date" TEXT NOT NULL,
    "gender" TEXT NOT NULL,
    "birth_sex" TEXT NULL,
    "gender_identity" TEXT NULL,
    "race" TEXT NULL,
    "race_text" TEXT NULL,
    "ethnicity" TEXT NULL,
    "ethnicity_text" TEXT NULL,
    "preferred_language" TEXT NULL,
    "addresses" TEXT NULL,
    "telecom" TEXT NULL,
    "contact_preferences" TEXT NULL,
    "emergency_contact" TEXT NULL,
    "guarantor" TEXT NULL,
    "deceased_date" TEXT NULL,
    "possible_duplicate_of" TEXT NULL,
    "family_norm" TEXT NOT NULL,
    "given_norm" TEXT NOT NULL,
    "preferred_given_norm" TEXT NULL
);
CREATE TABLE "patients_coverage" (
    "id" TEXT NOT NULL CONSTRAINT "pk_patients_coverage" PRIMARY KEY,
    "patient_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    "active" INTEGER NOT NULL,
    "rank" INTEGER NOT NULL,
    "payer_name" TEXT NOT NULL,
    "payer_id" TEXT NULL,
    "plan_name" TEXT NULL,
    "member_id" TEXT NOT NULL,
    "member_id_norm" TEXT NOT NULL,
    "group_number" TEXT NULL,
    "subscriber_relationship" TEXT NOT NULL,
    "subscriber_name" TEXT NULL,
    "subscriber_birth_date" TEXT NULL,
    "effective_start" TEXT NULL,
    "effective_end" TEXT NULL,
    CONSTRAINT "fk_patients_coverage_patient_id" FOREIGN KEY ("patient_id") REFERENCES "patients_patient" ("id") ON DELETE RESTRICT
);
CREATE TABLE "patients_patient_phone" (
    "patient_id" TEXT NOT NULL,
    "digits" TEXT NOT NULL,
    CONSTRAINT "pk_patients_patient_phone" PRIMARY KEY ("patient_id", "digits"),
    CONSTRAINT "fk_patients_patient_phone_patient_id" FOREIGN KEY ("patient_id") REFERENCES "patients_patient" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_patients_coverage_member_id_norm" ON "patients_coverage" ("member_id_norm");
CREATE INDEX "ix_patients_coverage_patient_id" ON "patients_coverage" ("patient_id");
CREATE UNIQUE INDEX "ix_patients_coverage_patient_id_rank" ON "patients_coverage" ("patient_id", "rank") WHERE "active" = 1;
CREATE INDEX "ix_patients_merge_merged_at" ON "patients_merge" ("merged_at");
CREATE INDEX "ix_patients_merge_merged_id" ON "patients_merge" ("merged_id");
CREATE INDEX "ix_patients_merge_survivor_id" ON "patients_merge" ("survivor_id");
CREATE INDEX "ix_patients_patient_birth_date" ON "patients_patient" ("birth_date");
CREATE INDEX "ix_patients_patient_family_norm_given_norm_id" ON "patients_patient" ("family_norm", "given_norm", "id") WHERE "merged_into_id" IS NULL;
CREATE INDEX "ix_patients_patient_given_norm_family_norm_id" ON "patients_patient" ("given_norm", "family_norm", "id") WHERE "merged_into_id" IS NULL;
CREATE INDEX "ix_patients_patient_merged_into_id" ON "patients_patient" ("merged_into_id");
CREATE UNIQUE INDEX "ix_patients_patient_mrn" ON "patients_patient" ("mrn");
CREATE INDEX "ix_patients_patient_preferred_given_norm_family_norm_given_norm_id" ON "patients_patient" ("preferred_given_norm", "family_norm", "given_norm", "id") WHERE "merged_into_id" IS NULL;
CREATE INDEX "ix_patients_patient_phone_digits" ON "patients_patient_phone" ("digits");
-- The MRN counter: last_value is the last number handed out.
INSERT INTO "patients_counter" ("name", "last_value") VALUES ('mrn', 0);
