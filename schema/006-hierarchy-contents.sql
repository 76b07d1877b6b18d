-- cheap-db-postgres schema, file 006: the contents of the non-AspectMap hierarchies. Each table
-- pins hierarchy_type to its own code and includes it in the foreign key to hierarchy, so rows
-- can only belong to a hierarchy of the right type. Each has an index on (catalog_id,
-- entity_id): it serves the foreign key to entity and "which hierarchies hold entity X".

-- hierarchy_entity_list: entity lists (EL), in order, duplicates allowed.
CREATE TABLE IF NOT EXISTS hierarchy_entity_list (
  catalog_id uuid NOT NULL,
  hierarchy_name text NOT NULL,
  hierarchy_type text NOT NULL DEFAULT 'EL',
  list_order integer NOT NULL,
  entity_id uuid NOT NULL,
  CONSTRAINT hierarchy_entity_list_pkey PRIMARY KEY (catalog_id, hierarchy_name, list_order),
  CONSTRAINT hierarchy_entity_list_type_check CHECK (hierarchy_type = 'EL'),
  CONSTRAINT hierarchy_entity_list_order_check CHECK (list_order >= 0)
);
COMMENT ON TABLE hierarchy_entity_list IS 'Entity list (EL) contents, in list order.';
CREATE INDEX IF NOT EXISTS hierarchy_entity_list_entity_idx
  ON hierarchy_entity_list (catalog_id, entity_id);

-- hierarchy_entity_set: entity sets (ES), each entity once, in insertion order.
CREATE TABLE IF NOT EXISTS hierarchy_entity_set (
  catalog_id uuid NOT NULL,
  hierarchy_name text NOT NULL,
  hierarchy_type text NOT NULL DEFAULT 'ES',
  entity_id uuid NOT NULL,
  set_order integer NOT NULL,
  CONSTRAINT hierarchy_entity_set_pkey PRIMARY KEY (catalog_id, hierarchy_name, entity_id),
  CONSTRAINT hierarchy_entity_set_order_key UNIQUE (catalog_id, hierarchy_name, set_order)
    DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT hierarchy_entity_set_type_check CHECK (hierarchy_type = 'ES'),
  CONSTRAINT hierarchy_entity_set_order_check CHECK (set_order >= 0)
);
COMMENT ON TABLE hierarchy_entity_set IS 'Entity set (ES) contents, in insertion order.';
CREATE INDEX IF NOT EXISTS hierarchy_entity_set_entity_idx
  ON hierarchy_entity_set (catalog_id, entity_id);

-- hierarchy_entity_directory: entity directories (ED), key to entity, in insertion order.
CREATE TABLE IF NOT EXISTS hierarchy_entity_directory (
  catalog_id uuid NOT NULL,
  hierarchy_name text NOT NULL,
  hierarchy_type text NOT NULL DEFAULT 'ED',
  entity_key text NOT NULL,
  entity_id uuid NOT NULL,
  dir_order integer NOT NULL,
  CONSTRAINT hierarchy_entity_directory_pkey PRIMARY KEY (catalog_id, hierarchy_name, entity_key),
  CONSTRAINT hierarchy_entity_directory_order_key UNIQUE (catalog_id, hierarchy_name, dir_order)
    DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT hierarchy_entity_directory_type_check CHECK (hierarchy_type = 'ED'),
  CONSTRAINT hierarchy_entity_directory_order_check CHECK (dir_order >= 0)
);
COMMENT ON TABLE hierarchy_entity_directory IS 'Entity directory (ED) contents, in insertion order.';
CREATE INDEX IF NOT EXISTS hierarchy_entity_directory_entity_idx
  ON hierarchy_entity_directory (catalog_id, entity_id);

-- hierarchy_entity_tree_node: entity trees (ET), one row per node with a stable node id.
-- The root has no parent, key '' and path ''; a child's path is its parent's path + '/' + key.
-- The unique path plus the root check also allow only one root per tree.
CREATE TABLE IF NOT EXISTS hierarchy_entity_tree_node (
  catalog_id uuid NOT NULL,
  hierarchy_name text NOT NULL,
  hierarchy_type text NOT NULL DEFAULT 'ET',
  node_id uuid NOT NULL,
  parent_node_id uuid,
  node_key text NOT NULL,
  node_path text NOT NULL,
  tree_order integer NOT NULL,
  entity_id uuid,
  is_leaf boolean NOT NULL DEFAULT false,
  CONSTRAINT hierarchy_entity_tree_node_pkey PRIMARY KEY (catalog_id, hierarchy_name, node_id),
  CONSTRAINT hierarchy_entity_tree_node_path_key UNIQUE (catalog_id, hierarchy_name, node_path),
  -- No unique (parent, tree_order): together with a self-referencing foreign key, a deferrable unique
  -- made bulk inserts ~50x slower (1.2 s for 4,000 siblings on PostgreSQL 15); the DAO writes
  -- sibling orders 0..n-1 and the load orders by them.
  -- The parent link is checked and cascaded set-based (008-bulk-integrity.sql): as a row
  -- foreign key, even deferred to commit, 20,000 nodes took 14 s to check.
  CONSTRAINT hierarchy_entity_tree_node_type_check CHECK (hierarchy_type = 'ET'),
  CONSTRAINT hierarchy_entity_tree_node_root_check CHECK (
    (parent_node_id IS NULL) = (node_path = '') AND (parent_node_id IS NOT NULL OR node_key = '')
  ),
  CONSTRAINT hierarchy_entity_tree_node_order_check CHECK (tree_order >= 0)
);
COMMENT ON TABLE hierarchy_entity_tree_node IS
  'Entity tree (ET) nodes: parent link, key, path from the root, sibling order, optional entity.';
-- Serves the subtree cascade (children of a node).
CREATE INDEX IF NOT EXISTS hierarchy_entity_tree_node_parent_idx
  ON hierarchy_entity_tree_node (catalog_id, hierarchy_name, parent_node_id);
CREATE INDEX IF NOT EXISTS hierarchy_entity_tree_node_entity_idx
  ON hierarchy_entity_tree_node (catalog_id, entity_id);
