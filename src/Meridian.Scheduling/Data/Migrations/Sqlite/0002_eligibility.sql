-- Eligibility checks (X12 270/271) with their raw request and answer.
CREATE TABLE "scheduling_eligibility_check" (
    "id" INTEGER NOT NULL CONSTRAINT "pk_scheduling_eligibility_check" PRIMARY KEY AUTOINCREMENT,
    "appointment_id" TEXT NULL,
    "patient_id" TEXT NOT NULL,
    "coverage_id" TEXT NOT NULL,
    "service_date" TEXT NOT NULL,
    "requested_at" TEXT NOT NULL,
    "answered_at" TEXT NULL,
    "requested_by" TEXT NULL,
    "status" TEXT NOT NULL,
    "payer_name" TEXT NULL,
    "plan_name" TEXT NULL,
    "plan_begin" TEXT NULL,
    "plan_end" TEXT NULL,
    "copay" TEXT NULL,
    "coinsurance_percent" TEXT NULL,
    "deductible" TEXT NULL,
    "deductible_remaining" TEXT NULL,
    "messages" TEXT NULL,
    "request_x12" TEXT NULL,
    "response_x12" TEXT NULL
);
CREATE INDEX "ix_scheduling_eligibility_check_appointment_id" ON "scheduling_eligibility_check" ("appointment_id");
CREATE INDEX "ix_scheduling_eligibility_check_patient_id_requested_at" ON "scheduling_eligibility_check" ("patient_id", "requested_at");
