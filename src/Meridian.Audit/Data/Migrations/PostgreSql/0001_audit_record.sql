CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE audit.record (
    sequence bigint NOT NULL CONSTRAINT pk_record PRIMARY KEY,
    occurred_at timestamp with time zone NOT NULL,
    user_id character varying(64) NULL,
    user_name character varying(256) NULL,
    role character varying(64) NULL,
    client_id character varying(128) NULL,
    patient_id character varying(64) NULL,
    action character varying(32) NOT NULL,
    resource_type character varying(64) NOT NULL,
    resource_id character varying(128) NULL,
    outcome character varying(16) NOT NULL,
    source_address character varying(64) NULL,
    detail character varying(2000) NULL,
    previous_hash character varying(64) NOT NULL,
    hash character varying(64) NOT NULL
);
CREATE INDEX ix_record_patient_id_occurred_at ON audit.record (patient_id, occurred_at);
CREATE INDEX ix_record_user_name_occurred_at ON audit.record (user_name, occurred_at);
CREATE INDEX ix_record_occurred_at ON audit.record (occurred_at);
-- Append-only: the application never updates or deletes audit records. A superuser can still bypass this;
-- the hash chain (see verify) is what detects that.
CREATE FUNCTION audit.reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END $$;
CREATE TRIGGER record_no_update_delete BEFORE UPDATE OR DELETE ON audit.record FOR EACH ROW EXECUTE FUNCTION audit.reject_change();
CREATE TRIGGER record_no_truncate BEFORE TRUNCATE ON audit.record FOR EACH STATEMENT EXECUTE FUNCTION audit.reject_change();
