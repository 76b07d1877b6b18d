-- cheap-db-postgres schema, file 001: the migration ledger.
-- Every file in schema/ is idempotent; createSchema runs them in lexical order with
-- search_path set to the target schema, so no statement names a schema.

-- schema_migration: which schema files were applied, so createSchema skips them next time and
-- notices a file that was edited after it ran (checksum).
CREATE TABLE IF NOT EXISTS schema_migration (
  version integer NOT NULL,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT schema_migration_pkey PRIMARY KEY (version)
);
COMMENT ON TABLE schema_migration IS
  'Applied schema files: version = the NNN file prefix, checksum = sha256 of the file text.';
