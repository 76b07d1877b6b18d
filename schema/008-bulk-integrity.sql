-- cheap-db-postgres schema, file 008: referential integrity of the bulk tables, set-based.
--
-- The value tables, property_list, aspect and the hierarchy content tables hold nearly every row
-- a save writes. Row-level foreign keys on them cost one index probe and one trigger call per
-- row and made a full save four times slower (50k against 200k rows/s for the same catalog on
-- PostgreSQL 15). The same rules are kept here as statement-level triggers with transition
-- tables: each INSERT statement is checked with one anti-join, and deletions cascade with one
-- DELETE per table. Violations raise SQLSTATE 23503 (foreign_key_violation) naming a
-- constraint, exactly as a foreign key would, so callers see the same CheapIntegrityError.
-- (Small tables keep ordinary foreign keys.)

-- Values and multivalued bookkeeping: the aspect must exist, and the property must be declared
-- by its AspectDef with this table's type.
CREATE OR REPLACE FUNCTION cheap_check_value_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.catalog_id, n.aspect_def_id, n.entity_id INTO bad FROM new_rows n
  WHERE NOT EXISTS (
    SELECT 1 FROM aspect a
    WHERE a.catalog_id = n.catalog_id AND a.aspect_def_id = n.aspect_def_id AND a.entity_id = n.entity_id)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "%" violates foreign key constraint "%_aspect_fkey"', TG_TABLE_NAME, TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = TG_TABLE_NAME || '_aspect_fkey',
        DETAIL = format('Key (catalog_id, aspect_def_id, entity_id)=(%s, %s, %s) is not present in table "aspect".',
          bad.catalog_id, bad.aspect_def_id, bad.entity_id);
  END IF;
  SELECT n.aspect_def_id, n.property_name, n.property_type INTO bad FROM new_rows n
  WHERE NOT EXISTS (
    SELECT 1 FROM property_def p
    WHERE p.aspect_def_id = n.aspect_def_id AND p.name = n.property_name AND p.property_type = n.property_type)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "%" violates foreign key constraint "%_property_fkey"', TG_TABLE_NAME, TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = TG_TABLE_NAME || '_property_fkey',
        DETAIL = format('Key (aspect_def_id, property_name, property_type)=(%s, %s, %s) is not present in table "property_def".',
          bad.aspect_def_id, bad.property_name, bad.property_type);
  END IF;
  RETURN NULL;
END
$$;

-- Aspects: their AspectMap hierarchy and their entity must exist.
CREATE OR REPLACE FUNCTION cheap_check_aspect_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.catalog_id, n.aspect_def_id INTO bad FROM new_rows n
  WHERE NOT EXISTS (
    SELECT 1 FROM hierarchy h WHERE h.catalog_id = n.catalog_id AND h.aspect_def_id = n.aspect_def_id)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "aspect" violates foreign key constraint "aspect_hierarchy_fkey"'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'aspect', CONSTRAINT = 'aspect_hierarchy_fkey',
        DETAIL = format('Key (catalog_id, aspect_def_id)=(%s, %s) is not present in table "hierarchy".',
          bad.catalog_id, bad.aspect_def_id);
  END IF;
  SELECT n.catalog_id, n.entity_id INTO bad FROM new_rows n
  WHERE NOT EXISTS (SELECT 1 FROM entity e WHERE e.catalog_id = n.catalog_id AND e.entity_id = n.entity_id)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "aspect" violates foreign key constraint "aspect_entity_fkey"'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'aspect', CONSTRAINT = 'aspect_entity_fkey',
        DETAIL = format('Key (catalog_id, entity_id)=(%s, %s) is not present in table "entity".',
          bad.catalog_id, bad.entity_id);
  END IF;
  RETURN NULL;
END
$$;

-- Hierarchy contents: the hierarchy must exist with this table's type, and the entity too.
CREATE OR REPLACE FUNCTION cheap_check_content_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.catalog_id, n.hierarchy_name, n.hierarchy_type INTO bad FROM new_rows n
  WHERE NOT EXISTS (
    SELECT 1 FROM hierarchy h
    WHERE h.catalog_id = n.catalog_id AND h.name = n.hierarchy_name AND h.hierarchy_type = n.hierarchy_type)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "%" violates foreign key constraint "%_hierarchy_fkey"', TG_TABLE_NAME, TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = TG_TABLE_NAME || '_hierarchy_fkey',
        DETAIL = format('Key (catalog_id, name, hierarchy_type)=(%s, %s, %s) is not present in table "hierarchy".',
          bad.catalog_id, bad.hierarchy_name, bad.hierarchy_type);
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
CREATE OR REPLACE FUNCTION cheap_check_tree_parent_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  -- Hashed NOT IN over the nodes of the trees written to: an index probe per new row was
  -- planned as a scan and made a 20,000-node tree take seconds.
  SELECT n.catalog_id, n.hierarchy_name, n.parent_node_id INTO bad FROM new_rows n
  WHERE n.parent_node_id IS NOT NULL
    AND (n.catalog_id, n.hierarchy_name, n.parent_node_id) NOT IN (
      SELECT p.catalog_id, p.hierarchy_name, p.node_id FROM hierarchy_entity_tree_node p
      WHERE (p.catalog_id, p.hierarchy_name) IN (SELECT DISTINCT catalog_id, hierarchy_name FROM new_rows))
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "hierarchy_entity_tree_node" violates foreign key constraint "hierarchy_entity_tree_node_parent_fkey"'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'hierarchy_entity_tree_node',
        CONSTRAINT = 'hierarchy_entity_tree_node_parent_fkey',
        DETAIL = format('Key (catalog_id, hierarchy_name, node_id)=(%s, %s, %s) is not present in table "hierarchy_entity_tree_node".',
          bad.catalog_id, bad.hierarchy_name, bad.parent_node_id);
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
    SELECT c.catalog_id, c.hierarchy_name, c.node_id FROM hierarchy_entity_tree_node c
    JOIN old_rows o ON c.catalog_id = o.catalog_id AND c.hierarchy_name = o.hierarchy_name
      AND c.parent_node_id = o.node_id
    UNION ALL
    SELECT c.catalog_id, c.hierarchy_name, c.node_id FROM hierarchy_entity_tree_node c
    JOIN sub s ON c.catalog_id = s.catalog_id AND c.hierarchy_name = s.hierarchy_name
      AND c.parent_node_id = s.node_id
  )
  DELETE FROM hierarchy_entity_tree_node t USING sub
  WHERE t.catalog_id = sub.catalog_id AND t.hierarchy_name = sub.hierarchy_name AND t.node_id = sub.node_id;
  RETURN NULL;
END
$$;

-- Deleting aspects deletes their values (what ON DELETE CASCADE did).
CREATE OR REPLACE FUNCTION cheap_cascade_aspect_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['property_list', 'property_value_integer', 'property_value_float',
    'property_value_boolean', 'property_value_string', 'property_value_text',
    'property_value_big_integer', 'property_value_big_decimal', 'property_value_date_time',
    'property_value_uri', 'property_value_uuid', 'property_value_clob', 'property_value_blob']
  LOOP
    EXECUTE format('DELETE FROM %I v USING old_rows o WHERE v.catalog_id = o.catalog_id
      AND v.aspect_def_id = o.aspect_def_id AND v.entity_id = o.entity_id', t);
  END LOOP;
  RETURN NULL;
END
$$;

-- Deleting a hierarchy deletes its contents, or the aspects of an AspectMap.
CREATE OR REPLACE FUNCTION cheap_cascade_hierarchy_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  t text;
BEGIN
  DELETE FROM aspect a USING old_rows o
  WHERE o.aspect_def_id IS NOT NULL AND a.catalog_id = o.catalog_id AND a.aspect_def_id = o.aspect_def_id;
  FOREACH t IN ARRAY ARRAY['hierarchy_entity_list', 'hierarchy_entity_set',
    'hierarchy_entity_directory', 'hierarchy_entity_tree_node']
  LOOP
    EXECUTE format('DELETE FROM %I c USING old_rows o WHERE c.catalog_id = o.catalog_id
      AND c.hierarchy_name = o.name', t);
  END LOOP;
  RETURN NULL;
END
$$;

-- A PropertyDef removed from a (mutable) AspectDef takes its stored values with it.
CREATE OR REPLACE FUNCTION cheap_cascade_property_def_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['property_list', 'property_value_integer', 'property_value_float',
    'property_value_boolean', 'property_value_string', 'property_value_text',
    'property_value_big_integer', 'property_value_big_decimal', 'property_value_date_time',
    'property_value_uri', 'property_value_uuid', 'property_value_clob', 'property_value_blob']
  LOOP
    EXECUTE format('DELETE FROM %I v USING old_rows o WHERE v.aspect_def_id = o.aspect_def_id
      AND v.property_name = o.name AND v.property_type = o.property_type', t);
  END LOOP;
  RETURN NULL;
END
$$;

-- An entity still referenced by a catalog that still exists cannot be deleted (NO ACTION).
CREATE OR REPLACE FUNCTION cheap_check_entity_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT o.catalog_id, o.entity_id INTO bad FROM old_rows o
  WHERE EXISTS (SELECT 1 FROM catalog c WHERE c.catalog_id = o.catalog_id)
    AND (EXISTS (SELECT 1 FROM aspect x WHERE x.catalog_id = o.catalog_id AND x.entity_id = o.entity_id)
      OR EXISTS (SELECT 1 FROM hierarchy_entity_list x WHERE x.catalog_id = o.catalog_id AND x.entity_id = o.entity_id)
      OR EXISTS (SELECT 1 FROM hierarchy_entity_set x WHERE x.catalog_id = o.catalog_id AND x.entity_id = o.entity_id)
      OR EXISTS (SELECT 1 FROM hierarchy_entity_directory x WHERE x.catalog_id = o.catalog_id AND x.entity_id = o.entity_id)
      OR EXISTS (SELECT 1 FROM hierarchy_entity_tree_node x WHERE x.catalog_id = o.catalog_id AND x.entity_id = o.entity_id))
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'delete on table "entity" violates foreign key constraint "entity_reference_fkey"'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'entity', CONSTRAINT = 'entity_reference_fkey',
        DETAIL = format('Key (catalog_id, entity_id)=(%s, %s) is still referenced.', bad.catalog_id, bad.entity_id);
  END IF;
  RETURN NULL;
END
$$;

-- Triggers (CREATE OR REPLACE TRIGGER: PostgreSQL 14+), one per table and event.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['property_list', 'property_value_integer', 'property_value_float',
    'property_value_boolean', 'property_value_string', 'property_value_text',
    'property_value_big_integer', 'property_value_big_decimal', 'property_value_date_time',
    'property_value_uri', 'property_value_uuid', 'property_value_clob', 'property_value_blob']
  LOOP
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION cheap_check_value_rows()', t || '_check', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['hierarchy_entity_list', 'hierarchy_entity_set',
    'hierarchy_entity_directory', 'hierarchy_entity_tree_node']
  LOOP
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION cheap_check_content_rows()', t || '_check', t);
  END LOOP;
END
$$;
CREATE OR REPLACE TRIGGER aspect_check AFTER INSERT ON aspect REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION cheap_check_aspect_rows();
CREATE OR REPLACE TRIGGER aspect_cascade AFTER DELETE ON aspect REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION cheap_cascade_aspect_delete();
CREATE OR REPLACE TRIGGER hierarchy_cascade AFTER DELETE ON hierarchy REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION cheap_cascade_hierarchy_delete();
CREATE OR REPLACE TRIGGER property_def_cascade AFTER DELETE ON property_def REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION cheap_cascade_property_def_delete();
CREATE OR REPLACE TRIGGER hierarchy_entity_tree_node_parent_check AFTER INSERT ON hierarchy_entity_tree_node
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cheap_check_tree_parent_rows();
CREATE OR REPLACE TRIGGER hierarchy_entity_tree_node_cascade AFTER DELETE ON hierarchy_entity_tree_node
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cheap_cascade_tree_delete();
CREATE OR REPLACE TRIGGER entity_check_delete AFTER DELETE ON entity REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION cheap_check_entity_delete();
