-- cheap-db-postgres schema, file 003: AspectDefs and their PropertyDefs. Definitions are
-- global (shared by every catalog that uses them), so these tables carry no catalog_id.

-- aspect_def: one row per AspectDef; names are unique database-wide, as in the Java module.
CREATE TABLE IF NOT EXISTS aspect_def (
  aspect_def_id uuid NOT NULL,
  name text NOT NULL,
  hash_version bigint NOT NULL,
  is_readable boolean NOT NULL DEFAULT true,
  is_writable boolean NOT NULL DEFAULT true,
  can_add_properties boolean NOT NULL DEFAULT false,
  can_remove_properties boolean NOT NULL DEFAULT false,
  CONSTRAINT aspect_def_pkey PRIMARY KEY (aspect_def_id),
  CONSTRAINT aspect_def_name_key UNIQUE (name),
  CONSTRAINT aspect_def_name_check CHECK (name <> '')
);
COMMENT ON TABLE aspect_def IS
  'AspectDefs (global). hash_version is the CHEAP definition hash as a signed 64-bit integer.';

-- property_def: the PropertyDefs of an AspectDef, in order, with the typed default value.
-- A default is stored as an array of the native type in the column of the property's type:
-- one element for a single-valued property, the whole list for a multivalued one; a null
-- default is has_default_value with every default_* column NULL. BigDecimal and DateTime
-- defaults use a pair of columns (value + scale, instant + zone) of equal length.
CREATE TABLE IF NOT EXISTS property_def (
  aspect_def_id uuid NOT NULL,
  name text NOT NULL,
  property_index integer NOT NULL,
  property_type text NOT NULL,
  is_readable boolean NOT NULL DEFAULT true,
  is_writable boolean NOT NULL DEFAULT true,
  is_nullable boolean NOT NULL DEFAULT true,
  is_multivalued boolean NOT NULL DEFAULT false,
  has_default_value boolean NOT NULL DEFAULT false,
  default_integer bigint[],
  default_float double precision[],
  default_boolean boolean[],
  default_string text[],
  default_text text[],
  default_big_integer numeric[],
  default_big_decimal numeric[],
  default_big_decimal_scale integer[],
  default_date_time timestamptz[],
  default_date_time_zone text[],
  default_uri text[],
  default_uuid uuid[],
  default_clob text[],
  default_blob bytea[],
  CONSTRAINT property_def_pkey PRIMARY KEY (aspect_def_id, name),
  -- Deferred so a save can renumber the properties of a def in any order.
  CONSTRAINT property_def_index_key UNIQUE (aspect_def_id, property_index)
    DEFERRABLE INITIALLY DEFERRED,
  -- The target of the value tables' (aspect_def_id, property_name, property_type) keys.
  CONSTRAINT property_def_type_key UNIQUE (aspect_def_id, name, property_type),
  CONSTRAINT property_def_aspect_def_fkey FOREIGN KEY (aspect_def_id)
    REFERENCES aspect_def (aspect_def_id) ON DELETE CASCADE,
  CONSTRAINT property_def_type_fkey FOREIGN KEY (property_type) REFERENCES property_type (code),
  CONSTRAINT property_def_name_check CHECK (name <> ''),
  CONSTRAINT property_def_index_check CHECK (property_index >= 0),
  CONSTRAINT property_def_default_flag_check CHECK (
    has_default_value
    OR num_nonnulls(
      default_integer, default_float, default_boolean, default_string, default_text,
      default_big_integer, default_big_decimal, default_big_decimal_scale, default_date_time,
      default_date_time_zone, default_uri, default_uuid, default_clob, default_blob
    ) = 0
  ),
  CONSTRAINT property_def_default_type_check CHECK (
    CASE num_nonnulls(
      default_integer, default_float, default_boolean, default_string, default_text,
      default_big_integer, default_big_decimal, default_date_time, default_uri, default_uuid,
      default_clob, default_blob
    )
      WHEN 0 THEN true
      WHEN 1 THEN CASE property_type
        WHEN 'INT' THEN default_integer IS NOT NULL
        WHEN 'FLT' THEN default_float IS NOT NULL
        WHEN 'BLN' THEN default_boolean IS NOT NULL
        WHEN 'STR' THEN default_string IS NOT NULL
        WHEN 'TXT' THEN default_text IS NOT NULL
        WHEN 'BGI' THEN default_big_integer IS NOT NULL
        WHEN 'BGF' THEN default_big_decimal IS NOT NULL
        WHEN 'DAT' THEN default_date_time IS NOT NULL
        WHEN 'URI' THEN default_uri IS NOT NULL
        WHEN 'UID' THEN default_uuid IS NOT NULL
        WHEN 'CLB' THEN default_clob IS NOT NULL
        WHEN 'BLB' THEN default_blob IS NOT NULL
        ELSE false
      END
      ELSE false
    END
  ),
  CONSTRAINT property_def_default_pair_check CHECK (
    (default_big_decimal IS NULL) = (default_big_decimal_scale IS NULL)
    AND (default_date_time IS NULL) = (default_date_time_zone IS NULL)
    AND coalesce(cardinality(default_big_decimal) = cardinality(default_big_decimal_scale), true)
    AND coalesce(cardinality(default_date_time) = cardinality(default_date_time_zone), true)
  ),
  CONSTRAINT property_def_default_single_check CHECK (
    is_multivalued
    OR coalesce(
      cardinality(default_integer), cardinality(default_float), cardinality(default_boolean),
      cardinality(default_string), cardinality(default_text), cardinality(default_big_integer),
      cardinality(default_big_decimal), cardinality(default_date_time), cardinality(default_uri),
      cardinality(default_uuid), cardinality(default_clob), cardinality(default_blob), 1
    ) = 1
  )
);
COMMENT ON TABLE property_def IS
  'PropertyDefs of an AspectDef in property_index order, with flags and the typed default value.';
