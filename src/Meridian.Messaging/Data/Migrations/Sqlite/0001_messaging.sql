-- Messaging: the outbound message outbox and its delivery history, inbound replies, opt-outs, and the tables of the two
-- local simulators (mailbox and SMS gateway) used in demo mode and tests.
CREATE TABLE "messaging_inbound_message" (
    "id" TEXT NOT NULL CONSTRAINT "pk_messaging_inbound_message" PRIMARY KEY,
    "channel" TEXT NOT NULL,
    "sender" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "received_at" TEXT NOT NULL,
    "matched_message_id" TEXT NULL,
    "patient_id" TEXT NULL,
    "outcome" TEXT NOT NULL,
    "reply_message_id" TEXT NULL,
    "detail" TEXT NULL
);

CREATE TABLE "messaging_message" (
    "id" TEXT NOT NULL CONSTRAINT "pk_messaging_message" PRIMARY KEY,
    "channel" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "subject" TEXT NULL,
    "body" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "correlation_key" TEXT NOT NULL,
    "reference" TEXT NULL,
    "patient_id" TEXT NULL,
    "time_zone" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    "send_after" TEXT NOT NULL,
    "next_attempt_at" TEXT NULL,
    "expires_at" TEXT NULL,
    "lease_token" TEXT NULL,
    "lease_expires_at" TEXT NULL,
    "sent_at" TEXT NULL,
    "delivered_at" TEXT NULL,
    "provider_message_id" TEXT NULL,
    "last_error" TEXT NULL
);

CREATE TABLE "messaging_opt_out" (
    "id" TEXT NOT NULL CONSTRAINT "pk_messaging_opt_out" PRIMARY KEY,
    "channel" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "patient_id" TEXT NULL,
    "source" TEXT NOT NULL,
    "created_at" TEXT NOT NULL
);

CREATE TABLE "messaging_simulated_email" (
    "id" TEXT NOT NULL CONSTRAINT "pk_messaging_simulated_email" PRIMARY KEY,
    "internet_message_id" TEXT NOT NULL,
    "sender" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "subject" TEXT NULL,
    "mime" TEXT NOT NULL,
    "received_at" TEXT NOT NULL
);

CREATE TABLE "messaging_simulated_sms" (
    "id" TEXT NOT NULL CONSTRAINT "pk_messaging_simulated_sms" PRIMARY KEY,
    "client_reference" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "sent_at" TEXT NOT NULL,
    "delivered_at" TEXT NULL,
    "submissions" INTEGER NOT NULL
);

CREATE TABLE "messaging_message_event" (
    "id" INTEGER NOT NULL CONSTRAINT "pk_messaging_message_event" PRIMARY KEY AUTOINCREMENT,
    "message_id" TEXT NOT NULL,
    "occurred_at" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "detail" TEXT NULL,
    CONSTRAINT "fk_messaging_message_event_message_id" FOREIGN KEY ("message_id") REFERENCES "messaging_message" ("id") ON DELETE CASCADE
);

CREATE INDEX "ix_messaging_inbound_message_matched_message_id" ON "messaging_inbound_message" ("matched_message_id");

CREATE INDEX "ix_messaging_inbound_message_received_at" ON "messaging_inbound_message" ("received_at");

CREATE INDEX "ix_messaging_inbound_message_sender_received_at" ON "messaging_inbound_message" ("sender", "received_at");

CREATE UNIQUE INDEX "ix_messaging_message_correlation_key" ON "messaging_message" ("correlation_key");

CREATE INDEX "ix_messaging_message_created_at" ON "messaging_message" ("created_at");

CREATE INDEX "ix_messaging_message_next_attempt_at" ON "messaging_message" ("next_attempt_at");

CREATE INDEX "ix_messaging_message_patient_id_created_at" ON "messaging_message" ("patient_id", "created_at");

CREATE INDEX "ix_messaging_message_recipient_sent_at" ON "messaging_message" ("recipient", "sent_at");

CREATE INDEX "ix_messaging_message_reference" ON "messaging_message" ("reference");

CREATE INDEX "ix_messaging_message_event_message_id" ON "messaging_message_event" ("message_id");

CREATE UNIQUE INDEX "ix_messaging_opt_out_channel_address" ON "messaging_opt_out" ("channel", "address");

CREATE UNIQUE INDEX "ix_messaging_simulated_email_internet_message_id" ON "messaging_simulated_email" ("internet_message_id");

CREATE INDEX "ix_messaging_simulated_email_received_at" ON "messaging_simulated_email" ("received_at");

CREATE UNIQUE INDEX "ix_messaging_simulated_sms_client_reference" ON "messaging_simulated_sms" ("client_reference");

CREATE INDEX "ix_messaging_simulated_sms_recipient_sent_at" ON "messaging_simulated_sms" ("recipient", "sent_at");
