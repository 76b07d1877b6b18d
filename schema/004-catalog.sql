-- cheap-db-postgres schema, file 004: the catalog and its structure. catalog_id leads every key
-- of a catalog-scoped table and every foreign key between them, so a catalog is one cascading
-- DELETE and the schema can be distributed by catalog_id (Citus) without a redesign.

-- catalog: one row per catalog; revision is the optimistic-locking counter of saves.
CREATE TABLE IF NOT EXISTS catalog (
  catalog_id uuid NOT NULL,
  species text NOT NULL,
  uri text,
  upstream_catalog_id uuid,
  version_number bigint NOT NULL DEFAULT 0,
  revision bigint NOT NULL DEFAULT 1,
  CONSTRAINT catalog_pkey PRIMARY KEY (catalog_id),
  CONSTRAINT catalog_species_fkey FOREIGN KEY (species) REFERENCES catalog_species (code),
  -- Mirrors catalog_species.requires_upstream: SOURCE and SINK have no upstream, all others must.
  CONSTRAINT catalog_upstream_check CHECK (
    (species IN ('SOURCE', 'SINK')) = (upstream_catalog_id IS NULL)
  ),
  CONSTRAINT catalog_revision_check CHECK (revision >= 1)
);
COMMENT ON TABLE catalog IS
  'Catalogs. upstream_catalog_id has no foreign key: the upstream may live in another database.';

-- catalog_aspect_def: the AspectDefs a catalog uses, in the catalog's order.
CREATE TABLE IF NOT EXISTS catalog_aspect_def (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  position integer NOT NULL,
  CONSTRAINT catalog_aspect_def_pkey PRIMARY KEY (catalog_id, aspect_def_id),
  CONSTRAINT catalog_aspect_def_position_key UNIQUE (catalog_id, position)
    DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT catalog_aspect_def_catalog_fkey FOREIGN KEY (catalog_id)
    REFERENCES catalog (catalog_id) ON DELETE CASCADE,
  -- No cascade: an AspectDef that a catalog uses cannot be deleted.
  CONSTRAINT catalog_aspect_def_aspect_def_fkey FOREIGN KEY (aspect_def_id)
    REFERENCES aspect_def (aspect_def_id),
  CONSTRAINT catalog_aspect_def_position_check CHECK (position >= 0)
);
COMMENT ON TABLE catalog_aspect_def IS 'The AspectDefs each catalog uses, in order.';
-- Serves the aspect_def foreign key (deleting a def) and "which catalogs use this def".
CREATE INDEX IF NOT EXISTS catalog_aspect_def_aspect_def_idx
  ON catalog_aspect_def (aspect_def_id);

-- hierarchy: the hierarchies of a catalog, in order; an AspectMap (AM) names its AspectDef.
CREATE TABLE IF NOT EXISTS hierarchy (
  catalog_id uuid NOT NULL,
  name text NOT NULL,
  hierarchy_type text NOT NULL,
  position integer NOT NULL,
  version_number bigint NOT NULL DEFAULT 0,
  aspect_def_id uuid,
  CONSTRAINT hierarchy_pkey PRIMARY KEY (catalog_id, name),
  CONSTRAINT hierarchy_position_key UNIQUE (catalog_id, position) DEFERRABLE INITIALLY DEFERRED,
  -- One AspectMap per AspectDef per catalog; also the target of aspect's foreign key.
  CONSTRAINT hierarchy_aspect_def_key UNIQUE (catalog_id, aspect_def_id),
  -- Lets the content tables pin the type of the hierarchy they belong to.
  CONSTRAINT hierarchy_type_key UNIQUE (catalog_id, name, hierarchy_type),
  CONSTRAINT hierarchy_catalog_fkey FOREIGN KEY (catalog_id)
    REFERENCES catalog (catalog_id) ON DELETE CASCADE,
  CONSTRAINT hierarchy_type_fkey FOREIGN KEY (hierarchy_type) REFERENCES hierarchy_type (code),
  -- No cascade: unlink a def from a catalog only after removing its AspectMap.
  CONSTRAINT hierarchy_aspect_def_fkey FOREIGN KEY (catalog_id, aspect_def_id)
    REFERENCES catalog_aspect_def (catalog_id, aspect_def_id),
  CONSTRAINT hierarchy_name_check CHECK (name <> ''),
  CONSTRAINT hierarchy_position_check CHECK (position >= 0),
  CONSTRAINT hierarchy_aspect_map_check CHECK ((hierarchy_type = 'AM') = (aspect_def_id IS NOT NULL))
);
COMMENT ON TABLE hierarchy IS
  'Hierarchies of a catalog in order; aspect_def_id is set exactly for aspect maps (AM).';

-- entity: the entities a catalog references; hierarchy contents and aspects point here.
CREATE TABLE IF NOT EXISTS entity (
  catalog_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  CONSTRAINT entity_pkey PRIMARY KEY (catalog_id, entity_id),
  CONSTRAINT entity_catalog_fkey FOREIGN KEY (catalog_id)
    REFERENCES catalog (catalog_id) ON DELETE CASCADE
);
COMMENT ON TABLE entity IS 'The entities each catalog references (by global id).';

-- aspect: one row per aspect, in the order of its AspectMap (unique per def and catalog, so
-- this table also plays the role of the Java hierarchy_aspect_map).
CREATE TABLE IF NOT EXISTS aspect (
  catalog_id uuid NOT NULL,
  aspect_def_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  map_order integer NOT NULL,
  CONSTRAINT aspect_pkey PRIMARY KEY (catalog_id, aspect_def_id, entity_id),
  -- No unique (catalog_id, aspect_def_id, map_order): sharing the primary key's prefix, its
  -- index was chosen for the integrity triggers' aspect probes on fresh statistics and filtered
  -- thousands of rows per probe (9 s instead of 0.35 s for 5,000 new aspects). The DAO writes
  -- distinct orders; loads sort by them.
  CONSTRAINT aspect_map_order_check CHECK (map_order >= 0)
);
COMMENT ON TABLE aspect IS 'Aspects: one per (catalog, AspectDef, entity), in AspectMap order.';
-- Serves the entity foreign key and "all aspects of entity X".
CREATE INDEX IF NOT EXISTS aspect_entity_idx ON aspect (catalog_id, entity_id);

-- catalog_revision: one row per save of a catalog (history, and the revision counter's log).
CREATE TABLE IF NOT EXISTS catalog_revision (
  catalog_id uuid NOT NULL,
  revision bigint NOT NULL,
  saved_at timestamptz NOT NULL DEFAULT now(),
  operation text NOT NULL,
  rows_written bigint NOT NULL DEFAULT 0,
  CONSTRAINT catalog_revision_pkey PRIMARY KEY (catalog_id, revision),
  CONSTRAINT catalog_revision_catalog_fkey FOREIGN KEY (catalog_id)
    REFERENCES catalog (catalog_id) ON DELETE CASCADE,
  CONSTRAINT catalog_revision_revision_check CHECK (revision >= 1),
  CONSTRAINT catalog_revision_operation_check CHECK (
    operation IN ('save', 'incremental', 'partial', 'import')
  ),
  CONSTRAINT catalog_revision_rows_written_check CHECK (rows_written >= 0)
);
COMMENT ON TABLE catalog_revision IS 'One row per save of a catalog: revision, time, rows written.';
