-- Patients module, PostgreSQL. Generated from the EF model with GenerateCreateScript, then reviewed by hand.
-- Normalized *_norm columns (and mrn, phone digits) use COLLATE "C": byte order makes prefix ranges exact and index-backed.
CREATE SCHEMA IF NOT EXISTS patients;
CREATE TABLE patients.counter (
    name character varying(32) NOT NULL,
    last_value bigint NOT NULL,
    CONSTRAINT pk_counter PRIMARY KEY (name)
);
CREATE TABLE patients.merge (
    id uuid NOT NULL,
    survivor_id uuid NOT NULL,
    merged_id uuid NOT NULL,
    reason character varying(200) NOT NULL,
    merged_at timestamp with time zone NOT NULL,
    merged_by_user_id character varying(64),
    merged_by_user_name character varying(256),
    survivor_snapshot text NOT NULL,
    merged_snapshot text NOT NULL,
    CONSTRAINT pk_merge PRIMARY KEY (id)
);
CREATE TABLE patients.patient (
    id uuid NOT NULL,
    mrn character varying(20) COLLATE "C" NOT NULL,
    version integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    active boolean NOT NULL,
    merged_into_id uuid,
    family_name character varying(100) NOT NULL,
    given_names character varying(400) NOT NULL,
    name_prefix character varying(40),
    name_suffix character varying(40),
    preferred_name text,
    birth_date date NOT NULL,
    gender character varying(16) NOT NULL,
    birth_sex character varying(8),
    gender_identity text,
    race text,
    race_text character varying(200),
    ethnicity text,
    ethnicity_text character varying(200),
    preferred_language text,
    addresses text,
    telecom text,
    contact_preferences text,
    emergency_contact text,
    guarantor text,
    deceased_date date,
    possible_duplicate_of character varying(200),
    family_norm character varying(100) COLLATE "C" NOT NULL,
    given_norm character varying(100) COLLATE "C" NOT NULL,
    preferred_given_norm character varying(100) COLLATE "C",
    CONSTRAINT pk_patient PRIMARY KEY (id)
);
CREATE TABLE patients.coverage (
    id uuid NOT NULL,
    patient_id uuid NOT NULL,
    version integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    active boolean NOT NULL,
    rank integer NOT NULL,
    payer_name character varying(200) NOT NULL,
    payer_id character varying(40),
    plan_name character varying(200),
    member_id character varying(64) NOT NULL,
    member_id_norm character varying(64) COLLATE "C" NOT NULL,
    group_number character varying(64),
    subscriber_relationship character varying(16) NOT NULL,
    subscriber_name text,
    subscriber_birth_date date,
    effective_start date,
    effective_end date,
    CONSTRAINT pk_coverage PRIMARY KEY (id),
    CONSTRAINT fk_coverage_patient_id FOREIGN KEY (patient_id) REFERENCES patients.patient (id) ON DELETE RESTRICT
);
CREATE TABLE patients.patient_phone (
    patient_id uuid NOT NULL,
    digits character varying(32) COLLATE "C" NOT NULL,
    CONSTRAINT pk_patient_phone PRIMARY KEY (patient_id, digits),
    CONSTRAINT fk_patient_phone_patient_id FOREIGN KEY (patient_id) REFERENCES patients.patient (id) ON DELETE CASCADE
);
CREATE INDEX ix_coverage_member_id_norm ON patients.coverage (member_id_norm);
CREATE INDEX ix_coverage_patient_id ON patients.coverage (patient_id);
CREATE UNIQUE INDEX ix_coverage_patient_id_rank ON patients.coverage (patient_id, rank) WHERE active;
CREATE INDEX ix_merge_merged_at ON patients.merge (merged_at);
CREATE INDEX ix_merge_merged_id ON patients.merge (merged_id);
CREATE INDEX ix_merge_survivor_id ON patients.merge (survivor_id);
CREATE INDEX ix_patient_birth_date ON patients.patient (birth_date);
CREATE INDEX ix_patient_family_norm_given_norm_id ON patients.patient (family_norm, given_norm, id) WHERE merged_into_id IS NULL;
CREATE INDEX ix_patient_given_norm_family_norm_id ON patients.patient (given_norm, family_norm, id) WHERE merged_into_id IS NULL;
CREATE INDEX ix_patient_merged_into_id ON patients.patient (merged_into_id);
CREATE UNIQUE INDEX ix_patient_mrn ON patients.patient (mrn);
CREATE INDEX ix_patient_preferred_given_norm_family_norm_given_norm_id ON patients.patient (preferred_given_norm, family_norm, given_norm, id) WHERE merged_into_id IS NULL;
CREATE INDEX ix_patient_phone_digits ON patients.patient_phone (digits);
-- The MRN counter: last_value is the last number handed out (SQLite). PostgreSQL allocates MRNs from a sequence instead,
-- which takes no row lock: concurrent registrations would otherwise queue on this row until each commits.
INSERT INTO patients.counter (name, last_value) VALUES ('mrn', 0);
CREATE SEQUENCE patients.mrn AS bigint START WITH 1 MINVALUE 1 NO CYCLE;
