-- The FHIR store: current resources, every version, and the search index (see docs/decisions/0003).
CREATE SCHEMA IF NOT EXISTS fhir;
CREATE TABLE fhir.resource (
    resource_type character varying(64) NOT NULL,
    id character varying(64) NOT NULL,
    version_id integer NOT NULL,
    last_updated timestamp with time zone NOT NULL,
    deleted boolean NOT NULL,
    json bytea NOT NULL,
    CONSTRAINT pk_resource PRIMARY KEY (resource_type, id)
);
CREATE TABLE fhir.resource_history (
    resource_type character varying(64) NOT NULL,
    id character varying(64) NOT NULL,
    version_id integer NOT NULL,
    last_updated timestamp with time zone NOT NULL,
    deleted boolean NOT NULL,
    json bytea NOT NULL,
    CONSTRAINT pk_resource_history PRIMARY KEY (resource_type, id, version_id)
);
CREATE TABLE fhir.search_date (
    resource_type character varying(64) NOT NULL,
    resource_id character varying(64) NOT NULL,
    param character varying(64) NOT NULL,
    low bigint NOT NULL,
    high bigint NOT NULL,
    CONSTRAINT pk_search_date PRIMARY KEY (resource_type, resource_id, param, low, high)
);
CREATE TABLE fhir.search_reference (
    resource_type character varying(64) NOT NULL,
    resource_id character varying(64) NOT NULL,
    param character varying(64) NOT NULL,
    target_type character varying(64) NOT NULL,
    target_id character varying(256) NOT NULL,
    CONSTRAINT pk_search_reference PRIMARY KEY (resource_type, resource_id, param, target_type, target_id)
);
CREATE TABLE fhir.search_string (
    resource_type character varying(64) NOT NULL,
    resource_id character varying(64) NOT NULL,
    param character varying(64) NOT NULL,
    value character varying(256) COLLATE "C" NOT NULL,
    exact character varying(256) NOT NULL,
    CONSTRAINT pk_search_string PRIMARY KEY (resource_type, resource_id, param, value, exact)
);
CREATE TABLE fhir.search_token (
    resource_type character varying(64) NOT NULL,
    resource_id character varying(64) NOT NULL,
    param character varying(64) NOT NULL,
    system character varying(256) NOT NULL,
    code character varying(256) NOT NULL,
    CONSTRAINT pk_search_token PRIMARY KEY (resource_type, resource_id, param, system, code)
);
CREATE INDEX ix_search_date_resource_type_param_low_high ON fhir.search_date (resource_type, param, low, high);
CREATE INDEX ix_search_reference_resource_type_param_target_id_target_type ON fhir.search_reference (resource_type, param, target_id, target_type);
CREATE INDEX ix_search_string_resource_type_param_value ON fhir.search_string (resource_type, param, value);
CREATE INDEX ix_search_token_resource_type_param_code_system ON fhir.search_token (resource_type, param, code, system);
