-- cheap-db-postgres schema, step 013: hierarchies get a surrogate key within their catalog, the
-- content tables are keyed by it, and tree nodes no longer store their path.
--
-- Release 1 repeated the hierarchy's name and type as text in every content row, and stored
-- each tree node's full path under a unique index: a B-tree entry holds at most about 2.7 kB,
-- so trees deeper than about 800 levels could not be saved (JSON reads 10,000-level trees),
-- and a deep tree's paths grow with the square of its depth. A node is now unique by its
-- parent and its key (hashed in the index, so a key of any length fits); paths are walked from
-- the root. Directory keys are unique through their hash for the same reason.

SELECT cheap_set_touch_triggers(ARRAY['catalog', 'hierarchy'], false);

ALTER TABLE catalog ADD COLUMN next_hierarchy_id integer NOT NULL DEFAULT 1;
ALTER TABLE hierarchy ADD COLUMN hierarchy_id integer;
UPDATE hierarchy h SET hierarchy_id = n.id
FROM (
  SELECT catalog_id, name, row_number() OVER (PARTITION BY catalog_id ORDER BY position) AS id
  FROM hierarchy
) n
WHERE n.catalog_id = h.catalog_id AND n.name = h.name;
UPDATE catalog c SET next_hierarchy_id = coalesce(
  (SELECT max(hierarchy_id) FROM hierarchy h WHERE h.catalog_id = c.catalog_id), 0) + 1;
ALTER TABLE hierarchy
  ALTER COLUMN hierarchy_id SET NOT NULL,
  DROP CONSTRAINT hierarchy_type_key,
  ADD CONSTRAINT hierarchy_id_key UNIQUE (catalog_id, hierarchy_id),
  ADD CONSTRAINT hierarchy_id_check CHECK (hierarchy_id >= 1);
COMMENT ON TABLE hierarchy IS
  'Hierarchies of a catalog in order, with a catalog-local id; aspect_def_id is set exactly for aspect maps (AM).';

DO $$
DECLARE
  audited boolean := EXISTS (
    SELECT 1 FROM pg_attribute WHERE attrelid = 'catalog'::regclass AND attname = 'created_at'
      AND NOT attisdropped
  );
  spec record;
  idx record;
  audit_columns text;
BEGIN
  FOR spec IN
    SELECT * FROM (VALUES
      ('hierarchy_entity_list', 'list_order, entity_id'),
      ('hierarchy_entity_set', 'entity_id, set_order'),
      ('hierarchy_entity_directory', 'entity_key, entity_id, dir_order'),
      ('hierarchy_entity_tree_node', 'node_id, parent_node_id, node_key, tree_order, entity_id, is_leaf')
    ) AS s (name, columns)
  LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', spec.name, spec.name || '_release1');
    FOR idx IN
      SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = to_regclass(quote_ident(spec.name || '_release1'))
    LOOP
      EXECUTE format('ALTER INDEX %I RENAME TO %I', idx.relname, idx.relname || '_release1');
    END LOOP;
  END LOOP;

  -- hierarchy_entity_list: entity lists (EL), in order, duplicates allowed.
  CREATE TABLE hierarchy_entity_list (
    catalog_id uuid NOT NULL,
    hierarchy_id integer NOT NULL,
    list_order integer NOT NULL,
    entity_id uuid NOT NULL,
    CONSTRAINT hierarchy_entity_list_pkey PRIMARY KEY (catalog_id, hierarchy_id, list_order),
    CONSTRAINT hierarchy_entity_list_order_check CHECK (list_order >= 0)
  );
  CREATE INDEX hierarchy_entity_list_entity_idx ON hierarchy_entity_list (catalog_id, entity_id);

  -- hierarchy_entity_set: entity sets (ES), each entity once, in insertion order.
  CREATE TABLE hierarchy_entity_set (
    catalog_id uuid NOT NULL,
    hierarchy_id integer NOT NULL,
    entity_id uuid NOT NULL,
    set_order integer NOT NULL,
    CONSTRAINT hierarchy_entity_set_pkey PRIMARY KEY (catalog_id, hierarchy_id, entity_id),
    CONSTRAINT hierarchy_entity_set_order_key UNIQUE (catalog_id, hierarchy_id, set_order)
      DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT hierarchy_entity_set_order_check CHECK (set_order >= 0)
  );
  CREATE INDEX hierarchy_entity_set_entity_idx ON hierarchy_entity_set (catalog_id, entity_id);

  -- hierarchy_entity_directory: entity directories (ED), key to entity, in insertion order.
  -- Keys are unique through their md5 (a key of any length fits the index; lookups compare the
  -- key itself too); positions are deferred so a save can renumber them in any order.
  CREATE TABLE hierarchy_entity_directory (
    catalog_id uuid NOT NULL,
    hierarchy_id integer NOT NULL,
    entity_key text NOT NULL,
    entity_id uuid NOT NULL,
    dir_order integer NOT NULL,
    CONSTRAINT hierarchy_entity_directory_pkey PRIMARY KEY (catalog_id, hierarchy_id, dir_order)
      DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT hierarchy_entity_directory_order_check CHECK (dir_order >= 0)
  );
  CREATE UNIQUE INDEX hierarchy_entity_directory_key_idx
    ON hierarchy_entity_directory (catalog_id, hierarchy_id, md5(entity_key));
  CREATE INDEX hierarchy_entity_directory_entity_idx
    ON hierarchy_entity_directory (catalog_id, entity_id);

  -- hierarchy_entity_tree_node: entity trees (ET), one row per node with a stable node id. The
  -- root has no parent and the key ''; a node is unique among its siblings by its key (hashed,
  -- like directory keys), which also serves "the children of a node" for cascades and walks.
  -- The parent link is checked and cascaded set-based (statement triggers below): as a row
  -- foreign key, even deferred to commit, 20,000 nodes took 14 s to check.
  CREATE TABLE hierarchy_entity_tree_node (
    catalog_id uuid NOT NULL,
    hierarchy_id integer NOT NULL,
    node_id uuid NOT NULL,
    parent_node_id uuid,
    node_key text NOT NULL,
    tree_order integer NOT NULL,
    entity_id uuid,
    is_leaf boolean NOT NULL DEFAULT false,
    CONSTRAINT hierarchy_entity_tree_node_pkey PRIMARY KEY (catalog_id, hierarchy_id, node_id),
    CONSTRAINT hierarchy_entity_tree_node_root_check CHECK (
      (parent_node_id IS NULL) = (node_key = '')
    ),
    CONSTRAINT hierarchy_entity_tree_node_order_check CHECK (tree_order >= 0)
  );
  CREATE UNIQUE INDEX hierarchy_entity_tree_node_sibling_idx
    ON hierarchy_entity_tree_node (catalog_id, hierarchy_id, parent_node_id, md5(node_key));
  CREATE UNIQUE INDEX hierarchy_entity_tree_node_root_idx
    ON hierarchy_entity_tree_node (catalog_id, hierarchy_id) WHERE parent_node_id IS NULL;
  CREATE INDEX hierarchy_entity_tree_node_entity_idx
    ON hierarchy_entity_tree_node (catalog_id, entity_id);

  FOR spec IN
    SELECT * FROM (VALUES
      ('hierarchy_entity_list', 'list_order, entity_id'),
      ('hierarchy_entity_set', 'entity_id, set_order'),
      ('hierarchy_entity_directory', 'entity_key, entity_id, dir_order'),
      ('hierarchy_entity_tree_node', 'node_id, parent_node_id, node_key, tree_order, entity_id, is_leaf')
    ) AS s (name, columns)
  LOOP
    audit_columns := '';
    IF audited THEN
      PERFORM cheap_enable_audit(ARRAY[spec.name]);
      audit_columns := ', created_at, updated_at';
    END IF;
    EXECUTE format(
      'INSERT INTO %I (catalog_id, hierarchy_id, %s%s) '
        'SELECT c.catalog_id, h.hierarchy_id, %s%s FROM %I c '
        'JOIN hierarchy h ON h.catalog_id = c.catalog_id AND h.name = c.hierarchy_name',
      spec.name, spec.columns, audit_columns,
      'c.' || replace(spec.columns, ', ', ', c.'), replace(audit_columns, ', ', ', c.'),
      spec.name || '_release1'
    );
    EXECUTE format('DROP TABLE %I', spec.name || '_release1');
  END LOOP;
END
$$;

COMMENT ON TABLE hierarchy_entity_list IS 'Entity list (EL) contents, in list order.';
COMMENT ON TABLE hierarchy_entity_set IS 'Entity set (ES) contents, in insertion order.';
COMMENT ON TABLE hierarchy_entity_directory IS 'Entity directory (ED) contents, in insertion order.';
COMMENT ON TABLE hierarchy_entity_tree_node IS
  'Entity tree (ET) nodes: parent link, key among its siblings, sibling order, optional entity.';

-- Hierarchy contents: the hierarchy must exist with this table's type (TG_ARGV[0]), and the
-- entity too.
CREATE OR REPLACE FUNCTION cheap_check_content_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.catalog_id, n.hierarchy_id INTO bad
  FROM (SELECT DISTINCT catalog_id, hierarchy_id FROM new_rows) n
  WHERE NOT EXISTS (
    SELECT 1 FROM hierarchy h
    WHERE h.catalog_id = n.catalog_id AND h.hierarchy_id = n.hierarchy_id
      AND h.hierarchy_type = TG_ARGV[0])
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "%" violates foreign key constraint "%_hierarchy_fkey"', TG_TABLE_NAME, TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = TG_TABLE_NAME || '_hierarchy_fkey',
        DETAIL = format('Key (catalog_id, hierarchy_id, hierarchy_type)=(%s, %s, %s) is not present in table "hierarchy".',
          bad.catalog_id, bad.hierarchy_id, TG_ARGV[0]);
  END IF;
  SELECT n.catalog_id, n.entity_id INTO bad FROM new_rows n
  WHERE n.entity_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM entity e WHERE e.catalog_id = n.catalog_id AND e.entity_id = n.entity_id)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "%" violates foreign key constraint "%_entity_fkey"', TG_TABLE_NAME, TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = TG_TABLE_NAME || '_entity_fkey',
        DETAIL = format('Key (catalog_id, entity_id)=(%s, %s) is not present in table "entity".',
          bad.catalog_id, bad.entity_id);
  END IF;
  RETURN NULL;
END
$$;

-- Tree nodes: a parent must be a node of the same tree (rows of the same statement count; the
-- DAO writes nodes in pre-order, so a parent is never in a later statement than its child).
-- NOT EXISTS, an anti-join the planner may hash and spill or probe by index, stays linear; release
-- 1's hashed NOT IN re-scanned the tree per row once the subquery outgrew work_mem (a 300,000-node
-- tree ran for over 16 minutes).
CREATE OR REPLACE FUNCTION cheap_check_tree_parent_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.catalog_id, n.hierarchy_id, n.parent_node_id INTO bad FROM new_rows n
  WHERE n.parent_node_id IS NOT NULL
    AND NOT EXISTS (
      SELECT 1 FROM hierarchy_entity_tree_node p
      WHERE p.catalog_id = n.catalog_id AND p.hierarchy_id = n.hierarchy_id
        AND p.node_id = n.parent_node_id)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "hierarchy_entity_tree_node" violates foreign key constraint "hierarchy_entity_tree_node_parent_fkey"'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'hierarchy_entity_tree_node',
        CONSTRAINT = 'hierarchy_entity_tree_node_parent_fkey',
        DETAIL = format('Key (catalog_id, hierarchy_id, node_id)=(%s, %s, %s) is not present in table "hierarchy_entity_tree_node".',
          bad.catalog_id, bad.hierarchy_id, bad.parent_node_id);
  END IF;
  RETURN NULL;
END
$$;

-- Deleting tree nodes deletes their subtrees: one recursive statement (its own firing of this
-- trigger then finds no children left and stops), so depth costs no trigger nesting.
CREATE OR REPLACE FUNCTION cheap_cascade_tree_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Statement triggers fire for zero rows too: without this the cascade would recurse forever.
  IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
    RETURN NULL;
  END IF;
  WITH RECURSIVE sub AS (
    SELECT c.catalog_id, c.hierarchy_id, c.node_id FROM hierarchy_entity_tree_node c
    JOIN old_rows o ON c.catalog_id = o.catalog_id AND c.hierarchy_id = o.hierarchy_id
      AND c.parent_node_id = o.node_id
    UNION ALL
    SELECT c.catalog_id, c.hierarchy_id, c.node_id FROM hierarchy_entity_tree_node c
    JOIN sub s ON c.catalog_id = s.catalog_id AND c.hierarchy_id = s.hierarchy_id
      AND c.parent_node_id = s.node_id
  )
  DELETE FROM hierarchy_entity_tree_node t USING sub
  WHERE t.catalog_id = sub.catalog_id AND t.hierarchy_id = sub.hierarchy_id AND t.node_id = sub.node_id;
  RETURN NULL;
END
$$;

-- Deleting a hierarchy deletes its contents, or the aspects of an AspectMap.
CREATE OR REPLACE FUNCTION cheap_cascade_hierarchy_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  t text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
    RETURN NULL;
  END IF;
  DELETE FROM aspect a USING old_rows o
  WHERE o.aspect_def_id IS NOT NULL AND a.catalog_id = o.catalog_id AND a.aspect_def_id = o.aspect_def_id;
  FOREACH t IN ARRAY ARRAY['hierarchy_entity_list', 'hierarchy_entity_set',
    'hierarchy_entity_directory', 'hierarchy_entity_tree_node']
  LOOP
    EXECUTE format('DELETE FROM %I c USING old_rows o WHERE c.catalog_id = o.catalog_id
      AND c.hierarchy_id = o.hierarchy_id', t);
  END LOOP;
  RETURN NULL;
END
$$;

CREATE TRIGGER hierarchy_entity_list_check AFTER INSERT ON hierarchy_entity_list
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cheap_check_content_rows('EL');
CREATE TRIGGER hierarchy_entity_set_check AFTER INSERT ON hierarchy_entity_set
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cheap_check_content_rows('ES');
CREATE TRIGGER hierarchy_entity_directory_check AFTER INSERT ON hierarchy_entity_directory
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cheap_check_content_rows('ED');
CREATE TRIGGER hierarchy_entity_tree_node_check AFTER INSERT ON hierarchy_entity_tree_node
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cheap_check_content_rows('ET');
CREATE TRIGGER hierarchy_entity_tree_node_parent_check AFTER INSERT ON hierarchy_entity_tree_node
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cheap_check_tree_parent_rows();
CREATE TRIGGER hierarchy_entity_tree_node_cascade AFTER DELETE ON hierarchy_entity_tree_node
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cheap_cascade_tree_delete();

SELECT cheap_set_touch_triggers(ARRAY['catalog', 'hierarchy'], true);
