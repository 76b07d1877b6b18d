-- cheap-db-postgres schema, step 010: what schema upgrades need.
--
-- From here on every file in schema/ is a step: applied once, in order, recorded in
-- schema_migration with its checksum, and never edited after a release (the ledger would then
-- disagree with the file). A new database runs every step; an older one runs the steps it lacks
-- (PostgresSchema.migrate, `cheap schema migrate`), one transaction per step. Release 1 shipped
-- steps 001-008 and the optional 900-audit.sql.
--
-- Audit columns used to be step 900, which listed the tables of release 1 by name: a later step
-- that adds or replaces a table would leave it without audit columns, and running 900 after such
-- a step would fail on a table that no longer exists. Audit is now this function, called by
-- createSchema / migrate with the audited tables of the library's table manifest (tables.ts), so
-- it always matches the schema it runs on. A release-1 ledger row for 900 still means "audit on".

-- cheap_touch_updated_at: the BEFORE UPDATE trigger function behind every <table>_touch_updated_at
-- trigger (the same body as in release 1's 900-audit.sql).
CREATE OR REPLACE FUNCTION cheap_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END
$$;

-- cheap_enable_audit: adds created_at/updated_at and the touch trigger to each table that lacks
-- them. Each step checks the catalog first, so a re-run takes no table locks and changes nothing.
-- now() rather than clock_timestamp(): every row one save touches carries the transaction's start
-- (the same instant as catalog_revision.saved_at), so "what did this save change" is an equality.
CREATE OR REPLACE FUNCTION cheap_enable_audit(tables text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  t text;
  rel regclass;
BEGIN
  FOREACH t IN ARRAY tables LOOP
    rel := to_regclass(quote_ident(t));
    IF rel IS NULL THEN
      RAISE EXCEPTION 'cheap audit: table % does not exist', t;
    END IF;
    IF NOT EXISTS (
      SELECT 1 FROM pg_attribute WHERE attrelid = rel AND attname = 'created_at' AND NOT attisdropped
    ) THEN
      EXECUTE format(
        'ALTER TABLE %I ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()', t
      );
    END IF;
    IF NOT EXISTS (
      SELECT 1 FROM pg_attribute WHERE attrelid = rel AND attname = 'updated_at' AND NOT attisdropped
    ) THEN
      EXECUTE format(
        'ALTER TABLE %I ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()', t
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
