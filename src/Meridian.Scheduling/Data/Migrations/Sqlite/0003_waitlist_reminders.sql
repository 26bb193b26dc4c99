-- Waitlist (entries, openings freed by cancellations, offers) and reminders (rules, what was decided per appointment version,
-- confirm links). Generated from the EF model with GenerateCreateScript, then reviewed; SchemaMatchesModelTests keeps them equal.
CREATE TABLE "scheduling_reminder_rule" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_reminder_rule" PRIMARY KEY,
    "name" TEXT NOT NULL,
    "hours_before" INTEGER NOT NULL,
    "channels" TEXT NOT NULL,
    "appointment_type_ids" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "active" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);
CREATE TABLE "scheduling_waitlist_entry" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_waitlist_entry" PRIMARY KEY,
    "patient_id" TEXT NOT NULL,
    "appointment_type_id" TEXT NOT NULL,
    "preferred_provider_ids" TEXT NOT NULL,
    "preferred_weekdays" TEXT NOT NULL,
    "window_start" TEXT NULL,
    "window_end" TEXT NULL,
    "earliest_date" TEXT NOT NULL,
    "latest_date" TEXT NULL,
    "priority" INTEGER NOT NULL,
    "channel" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "note" TEXT NULL,
    "created_by" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    "booked_appointment_id" TEXT NULL,
    CONSTRAINT "fk_scheduling_waitlist_entry_appointment_type_id" FOREIGN KEY ("appointment_type_id") REFERENCES "scheduling_appointment_type" ("id") ON DELETE RESTRICT
);
CREATE TABLE "scheduling_opening" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_opening" PRIMARY KEY,
    "provider_id" TEXT NOT NULL,
    "location_id" TEXT NOT NULL,
    "start_utc" TEXT NOT NULL,
    "end_utc" TEXT NOT NULL,
    "source_appointment_id" TEXT NOT NULL,
    "source_patient_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    "detail" TEXT NULL,
    CONSTRAINT "fk_scheduling_opening_location_id" FOREIGN KEY ("location_id") REFERENCES "scheduling_location" ("id") ON DELETE RESTRICT,
    CONSTRAINT "fk_scheduling_opening_provider_id" FOREIGN KEY ("provider_id") REFERENCES "scheduling_provider" ("id") ON DELETE RESTRICT
);
CREATE TABLE "scheduling_waitlist_offer" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_waitlist_offer" PRIMARY KEY,
    "opening_id" TEXT NOT NULL,
    "entry_id" TEXT NOT NULL,
    "patient_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "message_id" TEXT NULL,
    "start_utc" TEXT NOT NULL,
    "end_utc" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "responded_at" TEXT NULL,
    "appointment_id" TEXT NULL,
    "detail" TEXT NULL,
    CONSTRAINT "fk_scheduling_waitlist_offer_entry_id" FOREIGN KEY ("entry_id") REFERENCES "scheduling_waitlist_entry" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_scheduling_waitlist_offer_opening_id" FOREIGN KEY ("opening_id") REFERENCES "scheduling_opening" ("id") ON DELETE CASCADE
);
CREATE TABLE "scheduling_reminder_log" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_reminder_log" PRIMARY KEY,
    "appointment_id" TEXT NOT NULL,
    "rule_id" TEXT NOT NULL,
    "appointment_version" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "channel" TEXT NULL,
    "message_id" TEXT NULL,
    "detail" TEXT NULL,
    "created_at" TEXT NOT NULL,
    CONSTRAINT "fk_scheduling_reminder_log_appointment_id" FOREIGN KEY ("appointment_id") REFERENCES "scheduling_appointment" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_scheduling_reminder_log_rule_id" FOREIGN KEY ("rule_id") REFERENCES "scheduling_reminder_rule" ("id") ON DELETE CASCADE
);
CREATE TABLE "scheduling_appointment_link" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_appointment_link" PRIMARY KEY,
    "appointment_id" TEXT NOT NULL,
    "appointment_version" INTEGER NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    CONSTRAINT "fk_scheduling_appointment_link_appointment_id" FOREIGN KEY ("appointment_id") REFERENCES "scheduling_appointment" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_scheduling_appointment_link_appointment_id" ON "scheduling_appointment_link" ("appointment_id");
CREATE UNIQUE INDEX "ix_scheduling_appointment_link_token_hash" ON "scheduling_appointment_link" ("token_hash");
CREATE INDEX "ix_scheduling_opening_location_id" ON "scheduling_opening" ("location_id");
CREATE INDEX "ix_scheduling_opening_provider_id" ON "scheduling_opening" ("provider_id");
CREATE INDEX "ix_scheduling_opening_state_start_utc" ON "scheduling_opening" ("state", "start_utc");
CREATE UNIQUE INDEX "ix_scheduling_reminder_log_appointment_id_rule_id_appointment_version" ON "scheduling_reminder_log" ("appointment_id", "rule_id", "appointment_version");
CREATE INDEX "ix_scheduling_reminder_log_rule_id" ON "scheduling_reminder_log" ("rule_id");
CREATE INDEX "ix_scheduling_waitlist_entry_appointment_type_id" ON "scheduling_waitlist_entry" ("appointment_type_id");
CREATE INDEX "ix_scheduling_waitlist_entry_patient_id" ON "scheduling_waitlist_entry" ("patient_id");
CREATE INDEX "ix_scheduling_waitlist_entry_state_appointment_type_id" ON "scheduling_waitlist_entry" ("state", "appointment_type_id");
CREATE INDEX "ix_scheduling_waitlist_offer_entry_id" ON "scheduling_waitlist_offer" ("entry_id");
CREATE INDEX "ix_scheduling_waitlist_offer_opening_id" ON "scheduling_waitlist_offer" ("opening_id");
CREATE INDEX "ix_scheduling_waitlist_offer_state_expires_at" ON "scheduling_waitlist_offer" ("state", "expires_at");
CREATE UNIQUE INDEX "ix_scheduling_waitlist_offer_token_hash" ON "scheduling_waitlist_offer" ("token_hash");
