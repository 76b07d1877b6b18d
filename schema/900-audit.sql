-- cheap-db-postgres schema, file 900: optional audit columns (createSchema includeAudit: true).
-- created_at and updated_at on every mutable table; updated_at is maintained by a trigger that
-- fires only when a row really changes (WHEN OLD.* IS DISTINCT FROM NEW.*), so an upsert that
-- rewrites identical values leaves it alone.
--
-- now() rather than clock_timestamp(): now() is the start of the transaction, so every row one
-- save touches carries the same instant (and the same as catalog_revision.saved_at), which
-- makes "what did this save change" a simple equality query.

-- cheap_touch_updated_at: the trigger function behind every <table>_touch_updated_at trigger.
CREATE OR REPLACE FUNCTION cheap_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END
$$;

-- Each step checks the catalog first, so a re-run takes no table locks and changes nothing.
DO $$
DECLARE
  audited text[] := ARRAY[
    'aspect_def', 'property_def', 'catalog', 'catalog_aspect_def', 'hierarchy', 'entity',
    'aspect', 'property_value_integer', 'property_value_float', 'property_value_boolean',
    'property_value_string', 'property_value_text', 'property_value_big_integer',
    'property_value_big_decimal', 'property_value_date_time', 'property_value_uri',
    'property_value_uuid', 'property_value_clob', 'property_value_blob', 'property_list',
    'hierarchy_entity_list', 'hierarchy_entity_set', 'hierarchy_entity_directory',
    'hierarchy_entity_tree_node', 'aspect_table_mapping', 'aspect_column_mapping'
  ];
  t text;
  rel regclass;
BEGIN
  FOREACH t IN ARRAY audited LOOP
    rel := to_regclass(quote_ident(t));
    IF rel IS NULL THEN
      RAISE EXCEPTION 'cheap audit: table % does not exist', t;
    END IF;
    IF NOT EXISTS (
      SELECT 1 FROM pg_attribute WHERE attrelid = rel AND attname = 'created_at' AND NOT attisdropped
    ) THEN
      EXECUTE format(
        'ALTER TABLE %I ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now()', t
      );
    END IF;
    IF NOT EXISTS (
      SELECT 1 FROM pg_attribute WHERE attrelid = rel AND attname = 'updated_at' AND NOT attisdropped
    ) THEN
      EXECUTE format(
        'ALTER TABLE %I ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now()', t
      );
    END IF;
    IF NOT EXISTS (
      SELECT 1 FROM pg_trigger WHERE tgrelid = rel AND tgname = t || '_touch_updated_at'
    ) THEN
      EXECUTE format(
        'CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW '
          'WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION cheap_touch_updated_at()',
        t || '_touch_updated_at', t
      );
    END IF;
  END LOOP;
END
$$;
