-- Waitlist (entries, openings freed by cancellations, offers) and reminders (rules, what was decided per appointment version,
-- confirm links). Generated from the EF model with GenerateCreateScript, then reviewed; SchemaMatchesModelTests keeps them equal.
CREATE TABLE scheduling.reminder_rule (
    id uuid NOT NULL,
    name character varying(100) NOT NULL,
    hours_before integer NOT NULL,
    channels character varying(16) NOT NULL,
    appointment_type_ids character varying(800) NOT NULL,
    template character varying(1000) NOT NULL,
    active boolean NOT NULL,
    version integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_reminder_rule PRIMARY KEY (id)
);
CREATE TABLE scheduling.waitlist_entry (
    id uuid NOT NULL,
    patient_id uuid NOT NULL,
    appointment_type_id uuid NOT NULL,
    preferred_provider_ids character varying(800) NOT NULL,
    preferred_weekdays character varying(16) NOT NULL,
    window_start time without time zone,
    window_end time without time zone,
    earliest_date date NOT NULL,
    latest_date date,
    priority integer NOT NULL,
    channel character varying(8) NOT NULL,
    state character varying(16) NOT NULL,
    note character varying(2000),
    created_by character varying(256),
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    booked_appointment_id uuid,
    CONSTRAINT pk_waitlist_entry PRIMARY KEY (id),
    CONSTRAINT fk_waitlist_entry_appointment_type_id FOREIGN KEY (appointment_type_id) REFERENCES scheduling.appointment_type (id) ON DELETE RESTRICT
);
CREATE TABLE scheduling.opening (
    id uuid NOT NULL,
    provider_id uuid NOT NULL,
    location_id uuid NOT NULL,
    start_utc timestamp with time zone NOT NULL,
    end_utc timestamp with time zone NOT NULL,
    source_appointment_id uuid NOT NULL,
    source_patient_id uuid NOT NULL,
    state character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    detail character varying(200),
    CONSTRAINT pk_opening PRIMARY KEY (id),
    CONSTRAINT fk_opening_location_id FOREIGN KEY (location_id) REFERENCES scheduling.location (id) ON DELETE RESTRICT,
    CONSTRAINT fk_opening_provider_id FOREIGN KEY (provider_id) REFERENCES scheduling.provider (id) ON DELETE RESTRICT
);
CREATE TABLE scheduling.waitlist_offer (
    id uuid NOT NULL,
    opening_id uuid NOT NULL,
    entry_id uuid NOT NULL,
    patient_id uuid NOT NULL,
    token_hash character varying(64) NOT NULL,
    state character varying(16) NOT NULL,
    channel character varying(8) NOT NULL,
    message_id uuid,
    start_utc timestamp with time zone NOT NULL,
    end_utc timestamp with time zone NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    responded_at timestamp with time zone,
    appointment_id uuid,
    detail character varying(200),
    CONSTRAINT pk_waitlist_offer PRIMARY KEY (id),
    CONSTRAINT fk_waitlist_offer_entry_id FOREIGN KEY (entry_id) REFERENCES scheduling.waitlist_entry (id) ON DELETE CASCADE,
    CONSTRAINT fk_waitlist_offer_opening_id FOREIGN KEY (opening_id) REFERENCES scheduling.opening (id) ON DELETE CASCADE
);
CREATE TABLE scheduling.reminder_log (
    id uuid NOT NULL,
    appointment_id uuid NOT NULL,
    rule_id uuid NOT NULL,
    appointment_version integer NOT NULL,
    state character varying(16) NOT NULL,
    channel character varying(8),
    message_id uuid,
    detail character varying(200),
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_reminder_log PRIMARY KEY (id),
    CONSTRAINT fk_reminder_log_appointment_id FOREIGN KEY (appointment_id) REFERENCES scheduling.appointment (id) ON DELETE CASCADE,
    CONSTRAINT fk_reminder_log_rule_id FOREIGN KEY (rule_id) REFERENCES scheduling.reminder_rule (id) ON DELETE CASCADE
);
CREATE TABLE scheduling.appointment_link (
    id uuid NOT NULL,
    appointment_id uuid NOT NULL,
    appointment_version integer NOT NULL,
    token_hash character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_appointment_link PRIMARY KEY (id),
    CONSTRAINT fk_appointment_link_appointment_id FOREIGN KEY (appointment_id) REFERENCES scheduling.appointment (id) ON DELETE CASCADE
);
CREATE INDEX ix_appointment_link_appointment_id ON scheduling.appointment_link (appointment_id);
CREATE UNIQUE INDEX ix_appointment_link_token_hash ON scheduling.appointment_link (token_hash);
CREATE INDEX ix_opening_location_id ON scheduling.opening (location_id);
CREATE INDEX ix_opening_provider_id ON scheduling.opening (provider_id);
CREATE INDEX ix_opening_state_start_utc ON scheduling.opening (state, start_utc);
CREATE UNIQUE INDEX ix_reminder_log_appointment_id_rule_id_appointment_version ON scheduling.reminder_log (appointment_id, rule_id, appointment_version);
CREATE INDEX ix_reminder_log_rule_id ON scheduling.reminder_log (rule_id);
CREATE INDEX ix_waitlist_entry_appointment_type_id ON scheduling.waitlist_entry (appointment_type_id);
CREATE INDEX ix_waitlist_entry_patient_id ON scheduling.waitlist_entry (patient_id);
CREATE INDEX ix_waitlist_entry_state_appointment_type_id ON scheduling.waitlist_entry (state, appointment_type_id);
CREATE INDEX ix_waitlist_offer_entry_id ON scheduling.waitlist_offer (entry_id);
CREATE INDEX ix_waitlist_offer_opening_id ON scheduling.waitlist_offer (opening_id);
CREATE INDEX ix_waitlist_offer_state_expires_at ON scheduling.waitlist_offer (state, expires_at);
CREATE UNIQUE INDEX ix_waitlist_offer_token_hash ON scheduling.waitlist_offer (token_hash);
