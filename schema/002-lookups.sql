-- cheap-db-postgres schema, file 002: seeded lookup tables. Foreign keys to them replace
-- repeated IN (...) lists, and a reader of the database can see what each code means.

-- property_type: the twelve CHEAP property types and the value table that stores each.
CREATE TABLE IF NOT EXISTS property_type (
  code text NOT NULL,
  name text NOT NULL,
  value_table text NOT NULL,
  CONSTRAINT property_type_pkey PRIMARY KEY (code),
  CONSTRAINT property_type_name_key UNIQUE (name),
  CONSTRAINT property_type_value_table_key UNIQUE (value_table),
  CONSTRAINT property_type_code_check CHECK (
    code IN ('INT', 'FLT', 'BLN', 'STR', 'TXT', 'BGI', 'BGF', 'DAT', 'URI', 'UID', 'CLB', 'BLB')
  )
);
COMMENT ON TABLE property_type IS 'The twelve CHEAP property types (seeded).';

INSERT INTO property_type (code, name, value_table) VALUES
  ('INT', 'Integer', 'property_value_integer'),
  ('FLT', 'Float', 'property_value_float'),
  ('BLN', 'Boolean', 'property_value_boolean'),
  ('STR', 'String', 'property_value_string'),
  ('TXT', 'Text', 'property_value_text'),
  ('BGI', 'BigInteger', 'property_value_big_integer'),
  ('BGF', 'BigDecimal', 'property_value_big_decimal'),
  ('DAT', 'DateTime', 'property_value_date_time'),
  ('URI', 'URI', 'property_value_uri'),
  ('UID', 'UUID', 'property_value_uuid'),
  ('CLB', 'CLOB', 'property_value_clob'),
  ('BLB', 'BLOB', 'property_value_blob')
ON CONFLICT DO NOTHING;

-- hierarchy_type: the five CHEAP hierarchy types.
CREATE TABLE IF NOT EXISTS hierarchy_type (
  code text NOT NULL,
  name text NOT NULL,
  CONSTRAINT hierarchy_type_pkey PRIMARY KEY (code),
  CONSTRAINT hierarchy_type_name_key UNIQUE (name),
  CONSTRAINT hierarchy_type_code_check CHECK (code IN ('EL', 'ES', 'ED', 'ET', 'AM'))
);
COMMENT ON TABLE hierarchy_type IS 'The five CHEAP hierarchy types (seeded).';

INSERT INTO hierarchy_type (code, name) VALUES
  ('EL', 'entity list'),
  ('ES', 'entity set'),
  ('ED', 'entity directory'),
  ('ET', 'entity tree'),
  ('AM', 'aspect map')
ON CONFLICT DO NOTHING;

-- catalog_species: the six catalog species and whether each needs an upstream catalog.
CREATE TABLE IF NOT EXISTS catalog_species (
  code text NOT NULL,
  requires_upstream boolean NOT NULL,
  CONSTRAINT catalog_species_pkey PRIMARY KEY (code),
  CONSTRAINT catalog_species_code_check CHECK (
    code IN ('SOURCE', 'SINK', 'MIRROR', 'CACHE', 'CLONE', 'FORK')
  )
);
COMMENT ON TABLE catalog_species IS
  'The six catalog species (seeded); only SOURCE and SINK stand without an upstream.';

INSERT INTO catalog_species (code, requires_upstream) VALUES
  ('SOURCE', false),
  ('SINK', false),
  ('MIRROR', true),
  ('CACHE', true),
  ('CLONE', true),
  ('FORK', true)
ON CONFLICT DO NOTHING;
