-- Scheduling module, PostgreSQL. Generated from the EF model with GenerateCreateScript, then reviewed by hand.
-- Appointment instants are timestamptz (UTC); template times are wall-clock "time" read in the location's IANA zone.
-- The (provider|patient|resource|location, start_utc) indexes serve the conflict check and every calendar range read.
CREATE SCHEMA IF NOT EXISTS scheduling;
CREATE TABLE scheduling.appointment_type (
    id uuid NOT NULL,
    name character varying(100) NOT NULL,
    duration_minutes integer NOT NULL,
    color character varying(7) NOT NULL,
    patient_kind character varying(16) NOT NULL,
    required_resource_kinds character varying(200) NOT NULL,
    active boolean NOT NULL,
    CONSTRAINT pk_appointment_type PRIMARY KEY (id)
);
CREATE TABLE scheduling.availability_exception (
    id uuid NOT NULL,
    provider_id uuid,
    location_id uuid,
    start_utc timestamp with time zone NOT NULL,
    end_utc timestamp with time zone NOT NULL,
    kind character varying(16) NOT NULL,
    reason character varying(200) NOT NULL,
    CONSTRAINT pk_availability_exception PRIMARY KEY (id)
);
CREATE TABLE scheduling.location (
    id uuid NOT NULL,
    name character varying(100) NOT NULL,
    time_zone character varying(64) NOT NULL,
    phone character varying(32),
    fhir_location_id character varying(64),
    slot_minutes integer NOT NULL,
    active boolean NOT NULL,
    CONSTRAINT pk_location PRIMARY KEY (id)
);
CREATE TABLE scheduling.provider (
    id uuid NOT NULL,
    name character varying(100) NOT NULL,
    npi character varying(10),
    staff_user_id character varying(64),
    fhir_practitioner_id character varying(64),
    color character varying(7) NOT NULL,
    active boolean NOT NULL,
    calendar_feed_token_hash character varying(64),
    CONSTRAINT pk_provider PRIMARY KEY (id)
);
CREATE TABLE scheduling.series (
    id uuid NOT NULL,
    rule character varying(200) NOT NULL,
    first_start_utc timestamp with time zone NOT NULL,
    time_zone character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_series PRIMARY KEY (id)
);
CREATE TABLE scheduling.resource (
    id uuid NOT NULL,
    location_id uuid NOT NULL,
    kind character varying(16) NOT NULL,
    name character varying(100) NOT NULL,
    active boolean NOT NULL,
    CONSTRAINT pk_resource PRIMARY KEY (id),
    CONSTRAINT fk_resource_location_id FOREIGN KEY (location_id) REFERENCES scheduling.location (id) ON DELETE RESTRICT
);
CREATE TABLE scheduling.appointment_type_provider (
    appointment_type_id uuid NOT NULL,
    provider_id uuid NOT NULL,
    CONSTRAINT pk_appointment_type_provider PRIMARY KEY (appointment_type_id, provider_id),
    CONSTRAINT fk_appointment_type_provider_appointment_type_id FOREIGN KEY (appointment_type_id) REFERENCES scheduling.appointment_type (id) ON DELETE CASCADE,
    CONSTRAINT fk_appointment_type_provider_provider_id FOREIGN KEY (provider_id) REFERENCES scheduling.provider (id) ON DELETE RESTRICT
);
CREATE TABLE scheduling.template (
    id uuid NOT NULL,
    provider_id uuid NOT NULL,
    location_id uuid NOT NULL,
    name character varying(100) NOT NULL,
    effective_from date NOT NULL,
    effective_to date,
    version integer NOT NULL,
    CONSTRAINT pk_template PRIMARY KEY (id),
    CONSTRAINT fk_template_location_id FOREIGN KEY (location_id) REFERENCES scheduling.location (id) ON DELETE RESTRICT,
    CONSTRAINT fk_template_provider_id FOREIGN KEY (provider_id) REFERENCES scheduling.provider (id) ON DELETE RESTRICT
);
CREATE TABLE scheduling.appointment (
    id uuid NOT NULL,
    patient_id uuid NOT NULL,
    provider_id uuid NOT NULL,
    location_id uuid NOT NULL,
    resource_id uuid,
    appointment_type_id uuid NOT NULL,
    start_utc timestamp with time zone NOT NULL,
    end_utc timestamp with time zone NOT NULL,
    status character varying(16) NOT NULL,
    status_changed_at timestamp with time zone NOT NULL,
    series_id uuid,
    series_index integer,
    visit_reason character varying(200),
    note character varying(2000),
    cancel_reason character varying(200),
    conflict_override boolean NOT NULL,
    confirmed_at timestamp with time zone,
    arrived_at timestamp with time zone,
    roomed_at timestamp with time zone,
    room_id uuid,
    with_provider_at timestamp with time zone,
    checkout_at timestamp with time zone,
    done_at timestamp with time zone,
    copay_collected numeric(10,2),
    copay_method character varying(16),
    version integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    created_by character varying(256),
    CONSTRAINT pk_appointment PRIMARY KEY (id),
    CONSTRAINT fk_appointment_appointment_type_id FOREIGN KEY (appointment_type_id) REFERENCES scheduling.appointment_type (id) ON DELETE RESTRICT,
    CONSTRAINT fk_appointment_location_id FOREIGN KEY (location_id) REFERENCES scheduling.location (id) ON DELETE RESTRICT,
    CONSTRAINT fk_appointment_provider_id FOREIGN KEY (provider_id) REFERENCES scheduling.provider (id) ON DELETE RESTRICT,
    CONSTRAINT fk_appointment_series_id FOREIGN KEY (series_id) REFERENCES scheduling.series (id) ON DELETE RESTRICT
);
CREATE TABLE scheduling.template_rule (
    id uuid NOT NULL,
    template_id uuid NOT NULL,
    weekday integer NOT NULL,
    start time without time zone NOT NULL,
    "end" time without time zone NOT NULL,
    kind character varying(16) NOT NULL,
    label character varying(100),
    CONSTRAINT pk_template_rule PRIMARY KEY (id),
    CONSTRAINT fk_template_rule_template_id FOREIGN KEY (template_id) REFERENCES scheduling.template (id) ON DELETE CASCADE
);
CREATE TABLE scheduling.appointment_event (
    id bigint GENERATED BY DEFAULT AS IDENTITY,
    appointment_id uuid NOT NULL,
    at timestamp with time zone NOT NULL,
    action character varying(32) NOT NULL,
    user_id character varying(64),
    user_name character varying(256),
    detail character varying(2000),
    CONSTRAINT pk_appointment_event PRIMARY KEY (id),
    CONSTRAINT fk_appointment_event_appointment_id FOREIGN KEY (appointment_id) REFERENCES scheduling.appointment (id) ON DELETE CASCADE
);
CREATE INDEX ix_appointment_appointment_type_id ON scheduling.appointment (appointment_type_id);
CREATE INDEX ix_appointment_location_id_start_utc ON scheduling.appointment (location_id, start_utc);
CREATE INDEX ix_appointment_patient_id_start_utc ON scheduling.appointment (patient_id, start_utc);
CREATE INDEX ix_appointment_provider_id_start_utc ON scheduling.appointment (provider_id, start_utc);
CREATE INDEX ix_appointment_resource_id_start_utc ON scheduling.appointment (resource_id, start_utc);
CREATE INDEX ix_appointment_series_id ON scheduling.appointment (series_id);
CREATE INDEX ix_appointment_event_appointment_id ON scheduling.appointment_event (appointment_id);
CREATE INDEX ix_appointment_type_provider_provider_id ON scheduling.appointment_type_provider (provider_id);
CREATE INDEX ix_availability_exception_location_id_start_utc ON scheduling.availability_exception (location_id, start_utc);
CREATE INDEX ix_availability_exception_provider_id_start_utc ON scheduling.availability_exception (provider_id, start_utc);
CREATE UNIQUE INDEX ix_provider_calendar_feed_token_hash ON scheduling.provider (calendar_feed_token_hash);
CREATE INDEX ix_resource_location_id ON scheduling.resource (location_id);
CREATE INDEX ix_template_location_id ON scheduling.template (location_id);
CREATE INDEX ix_template_provider_id_location_id ON scheduling.template (provider_id, location_id);
CREATE INDEX ix_template_rule_template_id ON scheduling.template_rule (template_id);
