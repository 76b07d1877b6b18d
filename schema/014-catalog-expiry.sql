-- cheap-db-postgres schema, step 014: a catalog may expire.
--
-- A CACHE catalog holds a copy of an upstream that goes stale. expires_at (NULL: never) is the
-- moment from which the catalog is invisible to every read, whether or not it has been purged;
-- reads compare it with the database's now(), so application clocks never decide. The partial
-- index serves the purge (oldest expiries first) and costs nothing for catalogs that never expire.
ALTER TABLE catalog ADD COLUMN expires_at timestamptz;
CREATE INDEX catalog_expires_at_idx ON catalog (expires_at) WHERE expires_at IS NOT NULL;
COMMENT ON COLUMN catalog.expires_at IS
  'When the catalog expires (NULL: never); from then on reads treat it as absent and purges delete it.';
