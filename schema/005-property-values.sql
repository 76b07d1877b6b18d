-- cheap-db-postgres schema, file 005: property values, one table per property type, each with
-- the native column type. Shared shape: a NULL value row is an explicit null of a single-valued
-- property; an absent property has no row; a multivalued property has element rows with
-- value_index 0..n-1 (non-null values) plus its property_list row.
--
-- property_type is constant per table and checked against property_def (008-bulk-integrity.sql),
-- so the database itself rejects a value stored in the wrong type's table.
-- No index on (aspect_def_id, property_name): it would serve only the property_def foreign key,
-- i.e. deleting or retyping a PropertyDef, which is rare; an extra index on the hottest tables
-- would tax every save. The DAO must therefore upsert property_def rows, never delete and
-- re-insert them.

-- property_value_integer: Integer values (bigint).
CREATE TABLE IF NOT EXISTS property_value_integer (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL DEFAULT 'INT',
  value_index integer NOT NULL DEFAULT 0,
  value bigint,
  CONSTRAINT property_value_integer_pkey
    PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name, value_index),
  CONSTRAINT property_value_integer_type_check CHECK (property_type = 'INT'),
  CONSTRAINT property_value_integer_value_index_check CHECK (value_index >= 0)
);
COMMENT ON TABLE property_value_integer IS 'Integer values (bigint).';

-- property_value_float: Float values (double precision; NaN and infinities allowed, as in Java).
CREATE TABLE IF NOT EXISTS property_value_float (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL DEFAULT 'FLT',
  value_index integer NOT NULL DEFAULT 0,
  value double precision,
  CONSTRAINT property_value_float_pkey
    PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name, value_index),
  CONSTRAINT property_value_float_type_check CHECK (property_type = 'FLT'),
  CONSTRAINT property_value_float_value_index_check CHECK (value_index >= 0)
);
COMMENT ON TABLE property_value_float IS 'Float values (double precision; NaN and infinities allowed, as in Java).';

-- property_value_boolean: Boolean values.
CREATE TABLE IF NOT EXISTS property_value_boolean (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL DEFAULT 'BLN',
  value_index integer NOT NULL DEFAULT 0,
  value boolean,
  CONSTRAINT property_value_boolean_pkey
    PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name, value_index),
  CONSTRAINT property_value_boolean_type_check CHECK (property_type = 'BLN'),
  CONSTRAINT property_value_boolean_value_index_check CHECK (value_index >= 0)
);
COMMENT ON TABLE property_value_boolean IS 'Boolean values.';

-- property_value_string: String values, at most 8192 characters (the CHEAP String limit).
CREATE TABLE IF NOT EXISTS property_value_string (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL DEFAULT 'STR',
  value_index integer NOT NULL DEFAULT 0,
  value text,
  CONSTRAINT property_value_string_pkey
    PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name, value_index),
  CONSTRAINT property_value_string_type_check CHECK (property_type = 'STR'),
  CONSTRAINT property_value_string_value_index_check CHECK (value_index >= 0),
  CONSTRAINT property_value_string_length_check CHECK (char_length(value) <= 8192)
);
COMMENT ON TABLE property_value_string IS 'String values, at most 8192 characters (the CHEAP String limit).';

-- property_value_text: Text values (unbounded).
CREATE TABLE IF NOT EXISTS property_value_text (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL DEFAULT 'TXT',
  value_index integer NOT NULL DEFAULT 0,
  value text,
  CONSTRAINT property_value_text_pkey
    PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name, value_index),
  CONSTRAINT property_value_text_type_check CHECK (property_type = 'TXT'),
  CONSTRAINT property_value_text_value_index_check CHECK (value_index >= 0)
);
COMMENT ON TABLE property_value_text IS 'Text values (unbounded).';

-- property_value_big_integer: BigInteger values (numeric of scale 0).
CREATE TABLE IF NOT EXISTS property_value_big_integer (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL DEFAULT 'BGI',
  value_index integer NOT NULL DEFAULT 0,
  value numeric,
  CONSTRAINT property_value_big_integer_pkey
    PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name, value_index),
  CONSTRAINT property_value_big_integer_type_check CHECK (property_type = 'BGI'),
  CONSTRAINT property_value_big_integer_value_index_check CHECK (value_index >= 0),
  -- scale() is NULL for NaN and the infinities, so coalesce rejects them too.
  CONSTRAINT property_value_big_integer_scale_check CHECK (coalesce(scale(value) = 0, value IS NULL))
);
COMMENT ON TABLE property_value_big_integer IS 'BigInteger values (numeric of scale 0).';

-- property_value_big_decimal: BigDecimal values: the number plus its Java scale.
CREATE TABLE IF NOT EXISTS property_value_big_decimal (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL DEFAULT 'BGF',
  value_index integer NOT NULL DEFAULT 0,
  value numeric,
  value_scale integer,
  CONSTRAINT property_value_big_decimal_pkey
    PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name, value_index),
  CONSTRAINT property_value_big_decimal_type_check CHECK (property_type = 'BGF'),
  CONSTRAINT property_value_big_decimal_value_index_check CHECK (value_index >= 0),
  -- value_scale is the Java BigDecimal scale, which may be negative (1E+3 has scale -3) and so
  -- cannot live in the numeric itself.
  CONSTRAINT property_value_big_decimal_scale_check CHECK ((value IS NULL) = (value_scale IS NULL)),
  CONSTRAINT property_value_big_decimal_finite_check CHECK (value IS NULL OR scale(value) IS NOT NULL)
);
COMMENT ON TABLE property_value_big_decimal IS 'BigDecimal values: the number plus its Java scale.';

-- property_value_date_time: DateTime values: the instant plus the zone it was written in.
CREATE TABLE IF NOT EXISTS property_value_date_time (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL DEFAULT 'DAT',
  value_index integer NOT NULL DEFAULT 0,
  value timestamptz,
  zone text,
  CONSTRAINT property_value_date_time_pkey
    PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name, value_index),
  CONSTRAINT property_value_date_time_type_check CHECK (property_type = 'DAT'),
  CONSTRAINT property_value_date_time_value_index_check CHECK (value_index >= 0),
  -- zone is an IANA name or a fixed offset ('Z', '+02:00'), so the value's zone round-trips.
  CONSTRAINT property_value_date_time_zone_check CHECK ((value IS NULL) = (zone IS NULL)),
  CONSTRAINT property_value_date_time_zone_name_check CHECK (zone <> '')
);
COMMENT ON TABLE property_value_date_time IS 'DateTime values: the instant plus the zone it was written in.';

-- property_value_uri: URI values (text as given).
CREATE TABLE IF NOT EXISTS property_value_uri (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL DEFAULT 'URI',
  value_index integer NOT NULL DEFAULT 0,
  value text,
  CONSTRAINT property_value_uri_pkey
    PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name, value_index),
  CONSTRAINT property_value_uri_type_check CHECK (property_type = 'URI'),
  CONSTRAINT property_value_uri_value_index_check CHECK (value_index >= 0)
);
COMMENT ON TABLE property_value_uri IS 'URI values (text as given).';

-- property_value_uuid: UUID values.
CREATE TABLE IF NOT EXISTS property_value_uuid (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL DEFAULT 'UID',
  value_index integer NOT NULL DEFAULT 0,
  value uuid,
  CONSTRAINT property_value_uuid_pkey
    PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name, value_index),
  CONSTRAINT property_value_uuid_type_check CHECK (property_type = 'UID'),
  CONSTRAINT property_value_uuid_value_index_check CHECK (value_index >= 0)
);
COMMENT ON TABLE property_value_uuid IS 'UUID values.';

-- property_value_clob: CLOB values.
CREATE TABLE IF NOT EXISTS property_value_clob (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL DEFAULT 'CLB',
  value_index integer NOT NULL DEFAULT 0,
  value text,
  CONSTRAINT property_value_clob_pkey
    PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name, value_index),
  CONSTRAINT property_value_clob_type_check CHECK (property_type = 'CLB'),
  CONSTRAINT property_value_clob_value_index_check CHECK (value_index >= 0)
);
COMMENT ON TABLE property_value_clob IS 'CLOB values.';

-- property_value_blob: BLOB values.
CREATE TABLE IF NOT EXISTS property_value_blob (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL DEFAULT 'BLB',
  value_index integer NOT NULL DEFAULT 0,
  value bytea,
  CONSTRAINT property_value_blob_pkey
    PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name, value_index),
  CONSTRAINT property_value_blob_type_check CHECK (property_type = 'BLB'),
  CONSTRAINT property_value_blob_value_index_check CHECK (value_index >= 0)
);
COMMENT ON TABLE property_value_blob IS 'BLOB values.';

-- property_list: one row per stored multivalued property, so a null list (length NULL) and an
-- empty list (length 0) differ; length n means n element rows in the type's value table.
CREATE TABLE IF NOT EXISTS property_list (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  property_name text NOT NULL,
  property_type text NOT NULL,
  length integer,
  CONSTRAINT property_list_pkey PRIMARY KEY (catalog_id, aspect_def_id, entity_id, property_name),
  CONSTRAINT property_list_length_check CHECK (length >= 0)
);
COMMENT ON TABLE property_list IS
  'Multivalued properties: length NULL = null value, 0 = empty list, n = n element rows.';
