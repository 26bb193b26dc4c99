-- Scheduling module, SQLite. Generated from the EF model with GenerateCreateScript, then reviewed by hand.
-- Instants are ISO-8601 UTC text ("yyyy-MM-dd HH:mm:ss"), which sorts and range-compares correctly as text.
CREATE TABLE "scheduling_appointment_type" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_appointment_type" PRIMARY KEY,
    "name" TEXT NOT NULL,
    "duration_minutes" INTEGER NOT NULL,
    "color" TEXT NOT NULL,
    "patient_kind" TEXT NOT NULL,
    "required_resource_kinds" TEXT NOT NULL,
    "active" INTEGER NOT NULL
);
CREATE TABLE "scheduling_availability_exception" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_availability_exception" PRIMARY KEY,
    "provider_id" TEXT NULL,
    "location_id" TEXT NULL,
    "start_utc" TEXT NOT NULL,
    "end_utc" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "reason" TEXT NOT NULL
);
CREATE TABLE "scheduling_location" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_location" PRIMARY KEY,
    "name" TEXT NOT NULL,
    "time_zone" TEXT NOT NULL,
    "phone" TEXT NULL,
    "fhir_location_id" TEXT NULL,
    "slot_minutes" INTEGER NOT NULL,
    "active" INTEGER NOT NULL
);
CREATE TABLE "scheduling_provider" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_provider" PRIMARY KEY,
    "name" TEXT NOT NULL,
    "npi" TEXT NULL,
    "staff_user_id" TEXT NULL,
    "fhir_practitioner_id" TEXT NULL,
    "color" TEXT NOT NULL,
    "active" INTEGER NOT NULL,
    "calendar_feed_token_hash" TEXT NULL
);
CREATE TABLE "scheduling_series" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_series" PRIMARY KEY,
    "rule" TEXT NOT NULL,
    "first_start_utc" TEXT NOT NULL,
    "time_zone" TEXT NOT NULL,
    "created_at" TEXT NOT NULL
);
CREATE TABLE "scheduling_resource" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_resource" PRIMARY KEY,
    "location_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "active" INTEGER NOT NULL,
    CONSTRAINT "fk_scheduling_resource_location_id" FOREIGN KEY ("location_id") REFERENCES "scheduling_location" ("id") ON DELETE RESTRICT
);
CREATE TABLE "scheduling_appointment_type_provider" (
    "appointment_type_id" TEXT NOT NULL,
    "provider_id" TEXT NOT NULL,
    CONSTRAINT "pk_scheduling_appointment_type_provider" PRIMARY KEY ("appointment_type_id", "provider_id"),
    CONSTRAINT "fk_scheduling_appointment_type_provider_appointment_type_id" FOREIGN KEY ("appointment_type_id") REFERENCES "scheduling_appointment_type" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_scheduling_appointment_type_provider_provider_id" FOREIGN KEY ("provider_id") REFERENCES "scheduling_provider" ("id") ON DELETE RESTRICT
);
CREATE TABLE "scheduling_template" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_template" PRIMARY KEY,
    "provider_id" TEXT NOT NULL,
    "location_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "effective_from" TEXT NOT NULL,
    "effective_to" TEXT NULL,
    "version" INTEGER NOT NULL,
    CONSTRAINT "fk_scheduling_template_location_id" FOREIGN KEY ("location_id") REFERENCES "scheduling_location" ("id") ON DELETE RESTRICT,
    CONSTRAINT "fk_scheduling_template_provider_id" FOREIGN KEY ("provider_id") REFERENCES "scheduling_provider" ("id") ON DELETE RESTRICT
);
CREATE TABLE "scheduling_appointment" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_appointment" PRIMARY KEY,
    "patient_id" TEXT NOT NULL,
    "provider_id" TEXT NOT NULL,
    "location_id" TEXT NOT NULL,
    "resource_id" TEXT NULL,
    "appointment_type_id" TEXT NOT NULL,
    "start_utc" TEXT NOT NULL,
    "end_utc" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "status_changed_at" TEXT NOT NULL,
    "series_id" TEXT NULL,
    "series_index" INTEGER NULL,
    "visit_reason" TEXT NULL,
    "note" TEXT NULL,
    "cancel_reason" TEXT NULL,
    "conflict_override" INTEGER NOT NULL,
    "confirmed_at" TEXT NULL,
    "arrived_at" TEXT NULL,
    "roomed_at" TEXT NULL,
    "room_id" TEXT NULL,
    "with_provider_at" TEXT NULL,
    "checkout_at" TEXT NULL,
    "done_at" TEXT NULL,
    "copay_collected" TEXT NULL,
    "copay_method" TEXT NULL,
    "version" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    "created_by" TEXT NULL,
    CONSTRAINT "fk_scheduling_appointment_appointment_type_id" FOREIGN KEY ("appointment_type_id") REFERENCES "scheduling_appointment_type" ("id") ON DELETE RESTRICT,
    CONSTRAINT "fk_scheduling_appointment_location_id" FOREIGN KEY ("location_id") REFERENCES "scheduling_location" ("id") ON DELETE RESTRICT,
    CONSTRAINT "fk_scheduling_appointment_provider_id" FOREIGN KEY ("provider_id") REFERENCES "scheduling_provider" ("id") ON DELETE RESTRICT,
    CONSTRAINT "fk_scheduling_appointment_series_id" FOREIGN KEY ("series_id") REFERENCES "scheduling_series" ("id") ON DELETE RESTRICT
);
CREATE TABLE "scheduling_template_rule" (
    "id" TEXT NOT NULL CONSTRAINT "pk_scheduling_template_rule" PRIMARY KEY,
    "template_id" TEXT NOT NULL,
    "weekday" INTEGER NOT NULL,
    "start" TEXT NOT NULL,
    "end" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "label" TEXT NULL,
    CONSTRAINT "fk_scheduling_template_rule_template_id" FOREIGN KEY ("template_id") REFERENCES "scheduling_template" ("id") ON DELETE CASCADE
);
CREATE TABLE "scheduling_appointment_event" (
    "id" INTEGER NOT NULL CONSTRAINT "pk_scheduling_appointment_event" PRIMARY KEY AUTOINCREMENT,
    "appointment_id" TEXT NOT NULL,
    "at" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "user_id" TEXT NULL,
    "user_name" TEXT NULL,
    "detail" TEXT NULL,
    CONSTRAINT "fk_scheduling_appointment_event_appointment_id" FOREIGN KEY ("appointment_id") REFERENCES "scheduling_appointment" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_scheduling_appointment_appointment_type_id" ON "scheduling_appointment" ("appointment_type_id");
CREATE INDEX "ix_scheduling_appointment_location_id_start_utc" ON "scheduling_appointment" ("location_id", "start_utc");
CREATE INDEX "ix_scheduling_appointment_patient_id_start_utc" ON "scheduling_appointment" ("patient_id", "start_utc");
CREATE INDEX "ix_scheduling_appointment_provider_id_start_utc" ON "scheduling_appointment" ("provider_id", "start_utc");
CREATE INDEX "ix_scheduling_appointment_resource_id_start_utc" ON "scheduling_appointment" ("resource_id", "start_utc");
CREATE INDEX "ix_scheduling_appointment_series_id" ON "scheduling_appointment" ("series_id");
CREATE INDEX "ix_scheduling_appointment_event_appointment_id" ON "scheduling_appointment_event" ("appointment_id");
CREATE INDEX "ix_scheduling_appointment_type_provider_provider_id" ON "scheduling_appointment_type_provider" ("provider_id");
CREATE INDEX "ix_scheduling_availability_exception_location_id_start_utc" ON "scheduling_availability_exception" ("location_id", "start_utc");
CREATE INDEX "ix_scheduling_availability_exception_provider_id_start_utc" ON "scheduling_availability_exception" ("provider_id", "start_utc");
CREATE UNIQUE INDEX "ix_scheduling_provider_calendar_feed_token_hash" ON "scheduling_provider" ("calendar_feed_token_hash");
CREATE INDEX "ix_scheduling_resource_location_id" ON "scheduling_resource" ("location_id");
CREATE INDEX "ix_scheduling_template_location_id" ON "scheduling_template" ("location_id");
CREATE INDEX "ix_scheduling_template_provider_id_location_id" ON "scheduling_template" ("provider_id", "location_id");
CREATE INDEX "ix_scheduling_template_rule_template_id" ON "scheduling_template_rule" ("template_id");
