-- cheap-db-postgres schema, file 007: registry of AspectDefs stored in dedicated typed tables
-- instead of the generic property_value_* tables (the Java AspectTableMapping, made persistent
-- so every process sees the same mappings).

-- aspect_table_mapping: which AspectDef lives in which table, and which id columns it has.
CREATE TABLE IF NOT EXISTS aspect_table_mapping (
  aspect_def_id uuid NOT NULL,
  table_name text NOT NULL,
  has_catalog_id boolean NOT NULL,
  has_entity_id boolean NOT NULL,
  is_read_only boolean NOT NULL DEFAULT false,
  CONSTRAINT aspect_table_mapping_pkey PRIMARY KEY (aspect_def_id),
  CONSTRAINT aspect_table_mapping_table_name_key UNIQUE (table_name),
  CONSTRAINT aspect_table_mapping_aspect_def_fkey FOREIGN KEY (aspect_def_id)
    REFERENCES aspect_def (aspect_def_id) ON DELETE CASCADE,
  CONSTRAINT aspect_table_mapping_table_name_check CHECK (table_name <> '')
);
COMMENT ON TABLE aspect_table_mapping IS 'AspectDefs stored in dedicated tables, and their id columns.';

-- aspect_column_mapping: which column of the dedicated table holds each property.
CREATE TABLE IF NOT EXISTS aspect_column_mapping (
  aspect_def_id uuid NOT NULL,
  property_name text NOT NULL,
  column_name text NOT NULL,
  CONSTRAINT aspect_column_mapping_pkey PRIMARY KEY (aspect_def_id, property_name),
  CONSTRAINT aspect_column_mapping_column_name_key UNIQUE (aspect_def_id, column_name),
  CONSTRAINT aspect_column_mapping_table_fkey FOREIGN KEY (aspect_def_id)
    REFERENCES aspect_table_mapping (aspect_def_id) ON DELETE CASCADE,
  CONSTRAINT aspect_column_mapping_property_fkey FOREIGN KEY (aspect_def_id, property_name)
    REFERENCES property_def (aspect_def_id, name) ON DELETE CASCADE,
  CONSTRAINT aspect_column_mapping_column_name_check CHECK (column_name <> '')
);
COMMENT ON TABLE aspect_column_mapping IS 'Property-to-column map of each dedicated aspect table.';
