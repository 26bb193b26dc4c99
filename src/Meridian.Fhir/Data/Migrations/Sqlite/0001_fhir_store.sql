-- The FHIR store: current resources, every version, and the search index (see docs/decisions/0003).
CREATE TABLE "fhir_resource" (
    "resource_type" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "version_id" INTEGER NOT NULL,
    "last_updated" TEXT NOT NULL,
    "deleted" INTEGER NOT NULL,
    "json" BLOB NOT NULL,
    CONSTRAINT "pk_fhir_resource" PRIMARY KEY ("resource_type", "id")
);
CREATE TABLE "fhir_resource_history" (
    "resource_type" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "version_id" INTEGER NOT NULL,
    "last_updated" TEXT NOT NULL,
    "deleted" INTEGER NOT NULL,
    "json" BLOB NOT NULL,
    CONSTRAINT "pk_fhir_resource_history" PRIMARY KEY ("resource_type", "id", "version_id")
);
CREATE TABLE "fhir_search_date" (
    "resource_type" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "param" TEXT NOT NULL,
    "low" INTEGER NOT NULL,
    "high" INTEGER NOT NULL,
    CONSTRAINT "pk_fhir_search_date" PRIMARY KEY ("resource_type", "resource_id", "param", "low", "high")
);
CREATE TABLE "fhir_search_reference" (
    "resource_type" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "param" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    CONSTRAINT "pk_fhir_search_reference" PRIMARY KEY ("resource_type", "resource_id", "param", "target_type", "target_id")
);
CREATE TABLE "fhir_search_string" (
    "resource_type" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "param" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "exact" TEXT NOT NULL,
    CONSTRAINT "pk_fhir_search_string" PRIMARY KEY ("resource_type", "resource_id", "param", "value", "exact")
);
CREATE TABLE "fhir_search_token" (
    "resource_type" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "param" TEXT NOT NULL,
    "system" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    CONSTRAINT "pk_fhir_search_token" PRIMARY KEY ("resource_type", "resource_id", "param", "system", "code")
);
CREATE INDEX "ix_fhir_search_date_resource_type_param_low_high" ON "fhir_search_date" ("resource_type", "param", "low", "high");
CREATE INDEX "ix_fhir_search_reference_resource_type_param_target_id_target_type" ON "fhir_search_reference" ("resource_type", "param", "target_id", "target_type");
CREATE INDEX "ix_fhir_search_string_resource_type_param_value" ON "fhir_search_string" ("resource_type", "param", "value");
CREATE INDEX "ix_fhir_search_token_resource_type_param_code_system" ON "fhir_search_token" ("resource_type", "param", "code", "system");
