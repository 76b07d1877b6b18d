-- cheap-db-postgres schema, step 015: helpers for full-text search and for reading aspects as
-- JSON from plain SQL.

-- cheap_list_document: a multivalued text column as one document (elements joined by a space).
-- array_to_string is only STABLE (array output in general may depend on settings), which an
-- index expression refuses; for text[] it depends on nothing, so this wrapper is IMMUTABLE and
-- indexProperty(…, { fullText }) can put a GIN index on to_tsvector(cfg, cheap_list_document(c)).
CREATE OR REPLACE FUNCTION cheap_list_document(list text[]) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT array_to_string(list, ' ') $$;
COMMENT ON FUNCTION cheap_list_document(text[]) IS
  'A text list as one full-text document (elements joined by spaces); immutable, for GIN indexes.';

-- cheap_java_date_time: a DAT value as the JSON writer's text (Java's ZonedDateTime.toString()):
-- local date-time in the stored zone (seconds and milliseconds only when not zero), the offset
-- (Z, +HH:MM or +HH:MM:SS), and [Region] when the zone is a region rather than an offset. STABLE:
-- a region's offsets come from the server's time zone database.
CREATE OR REPLACE FUNCTION cheap_java_date_time(value timestamptz, zone text) RETURNS text
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $$
DECLARE
  utc timestamp := value AT TIME ZONE 'UTC';
  is_offset boolean := zone ~ '^(Z|[+-][0-9]{2}:[0-9]{2}(:[0-9]{2})?)$';
  offset_seconds integer;
  local timestamp;
  year integer;
  seconds integer;
  millis integer;
  magnitude integer;
  text_out text;
BEGIN
  IF is_offset THEN
    offset_seconds := CASE WHEN zone = 'Z' THEN 0 ELSE
      (CASE WHEN left(zone, 1) = '-' THEN -1 ELSE 1 END) * (
        substr(zone, 2, 2)::integer * 3600 + substr(zone, 5, 2)::integer * 60
        + coalesce(nullif(substr(zone, 8, 2), '')::integer, 0)) END;
    local := utc + make_interval(secs => offset_seconds);
  ELSE
    local := value AT TIME ZONE zone;
    offset_seconds := round(extract(epoch FROM local - utc))::integer;
  END IF;
  year := extract(year FROM local)::integer;
  -- PostgreSQL counts 1 BC as year -1; Java (proleptic ISO) as year 0.
  IF year < 0 THEN year := year + 1; END IF;
  text_out := CASE
      WHEN year > 9999 THEN '+' || year::text
      WHEN year < 0 THEN '-' || lpad((-year)::text, 4, '0')
      ELSE lpad(year::text, 4, '0') END
    || to_char(local, '-MM-DD"T"HH24:MI');
  seconds := floor(extract(second FROM local))::integer;
  millis := (floor(extract(microseconds FROM local)) / 1000)::integer % 1000;
  IF seconds <> 0 OR millis <> 0 THEN text_out := text_out || ':' || lpad(seconds::text, 2, '0'); END IF;
  IF millis <> 0 THEN text_out := text_out || '.' || lpad(millis::text, 3, '0'); END IF;
  IF offset_seconds = 0 THEN
    text_out := text_out || 'Z';
  ELSE
    magnitude := abs(offset_seconds);
    text_out := text_out || CASE WHEN offset_seconds < 0 THEN '-' ELSE '+' END
      || lpad((magnitude / 3600)::text, 2, '0') || ':' || lpad((magnitude / 60 % 60)::text, 2, '0')
      || CASE WHEN magnitude % 60 = 0 THEN '' ELSE ':' || lpad((magnitude % 60)::text, 2, '0') END;
  END IF;
  IF NOT is_offset THEN text_out := text_out || '[' || zone || ']'; END IF;
  RETURN text_out;
END
$$;
COMMENT ON FUNCTION cheap_java_date_time(timestamptz, text) IS
  'A DAT value as the CHEAP JSON text (Java ZonedDateTime.toString()) in its stored zone.';

-- cheap_json_value_sql: the SQL expression turning a stored value into its JSON form (the JSON
-- writer's: numbers as numbers, except INT and BGI beyond ±(2^53-1) as strings when asked, so a
-- JavaScript client parses them without loss; FLT through its shortest text (to_jsonb(float8)
-- would round to 15 digits), non-finite ones as "NaN"/"Infinity"; DAT as Java
-- text; BLB as lower-case hex; UID and text types as strings). `v` is the value, `x` its zone.
CREATE OR REPLACE FUNCTION cheap_json_value_sql(type text, v text, x text, big_as_text boolean)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE type
    WHEN 'INT' THEN CASE WHEN big_as_text
      THEN format('CASE WHEN %1$s NOT BETWEEN -9007199254740991 AND 9007199254740991 THEN to_jsonb(%1$s::text) ELSE to_jsonb(%1$s) END', v)
      ELSE format('to_jsonb(%s)', v) END
    WHEN 'BGI' THEN CASE WHEN big_as_text
      THEN format('CASE WHEN %1$s NOT BETWEEN -9007199254740991 AND 9007199254740991 THEN to_jsonb(%1$s::text) ELSE to_jsonb(%1$s) END', v)
      ELSE format('to_jsonb(%s)', v) END
    WHEN 'FLT' THEN format(
      'CASE WHEN %1$s IN (''NaN'', ''Infinity'', ''-Infinity'') THEN to_jsonb(%1$s::text) ELSE (%1$s::text)::jsonb END', v)
    WHEN 'DAT' THEN format('to_jsonb(cheap_java_date_time(%s, %s))', v, x)
    WHEN 'BLB' THEN format('to_jsonb(encode(%s, ''hex''))', v)
    WHEN 'UID' THEN format('to_jsonb(%s::text)', v)
    ELSE format('to_jsonb(%s)', v)
  END
$$;

-- cheap_aspects_json: one row per aspect of AspectDef `aspect_def` (by name) in catalog
-- `catalog`, in AspectMap order: the entity and the aspect as a JSONB object, as the catalog
-- JSON writes it (stored values only: an absent property is left out, a stored null is null; a
-- list is an array). Reads the generic value tables or the version's dedicated table. Refuses
-- (no_data_found) a catalog that does not exist, has expired, or has no such AspectDef.
--
--   SELECT entity_id, aspect->>'name' FROM cheap_aspects_json('…'::uuid, 'person');
CREATE OR REPLACE FUNCTION cheap_aspects_json(
  catalog uuid,
  aspect_def text,
  big_integers_as_text boolean DEFAULT true
) RETURNS TABLE (entity_id uuid, aspect jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  def_id uuid;
  def_version integer;
  dedicated text;
  p record;
  parts text[] := ARRAY[]::text[];
  joins text := '';
  n integer := 0;
  tbl text;
  val text;
  col text;
  query text;
BEGIN
  SELECT d.aspect_def_id, cad.version INTO def_id, def_version
  FROM aspect_def d
  JOIN catalog_aspect_def cad ON cad.aspect_def_id = d.aspect_def_id
  JOIN catalog c ON c.catalog_id = cad.catalog_id
  WHERE d.name = aspect_def AND cad.catalog_id = cheap_aspects_json.catalog
    AND (c.expires_at IS NULL OR c.expires_at > now());
  IF def_id IS NULL THEN
    RAISE EXCEPTION 'catalog % has no AspectDef %', catalog, quote_literal(aspect_def)
      USING ERRCODE = 'no_data_found';
  END IF;
  SELECT m.table_name INTO dedicated FROM aspect_table_mapping m
  WHERE m.aspect_def_id = def_id AND m.version = def_version AND NOT m.is_read_only;
  FOR p IN
    SELECT pd.name, pd.property_type, pd.is_multivalued, pd.property_id, cm.column_name, t.value_table
    FROM property_def pd
    JOIN property_type t ON t.code = pd.property_type
    LEFT JOIN aspect_column_mapping cm
      ON dedicated IS NOT NULL AND cm.aspect_def_id = pd.aspect_def_id AND cm.property_id = pd.property_id
    WHERE pd.aspect_def_id = def_id AND pd.version = def_version
    ORDER BY pd.property_index
  LOOP
    n := n + 1;
    IF dedicated IS NOT NULL THEN
      col := 't.' || quote_ident(p.column_name);
      IF p.is_multivalued THEN
        val := format(
          'CASE WHEN %1$s IS NULL THEN ''null''::jsonb ELSE (SELECT coalesce(jsonb_agg(%2$s ORDER BY u.i), ''[]''::jsonb) FROM unnest(%1$s%3$s) WITH ORDINALITY AS u(e%4$s, i)) END',
          col,
          cheap_json_value_sql(p.property_type, 'u.e', 'u.z', big_integers_as_text),
          CASE WHEN p.property_type = 'DAT' THEN ', t.' || quote_ident(p.column_name || '_zone') ELSE '' END,
          CASE WHEN p.property_type = 'DAT' THEN ', z' ELSE '' END);
      ELSE
        val := cheap_json_value_sql(p.property_type, col, 't.' || quote_ident(p.column_name || '_zone'),
          big_integers_as_text);
      END IF;
      parts := parts || format(
        'CASE WHEN coalesce(t.cheap_absent @> ARRAY[%1$L]::text[], false) THEN ''{}''::jsonb ELSE jsonb_build_object(%1$L, %2$s) END',
        p.name, val);
    ELSE
      tbl := quote_ident(p.value_table);
      IF p.is_multivalued THEN
        joins := joins || format(
          ' LEFT JOIN (SELECT l.aspect_id, CASE WHEN l.length IS NULL THEN ''null''::jsonb ELSE coalesce((SELECT jsonb_agg(%1$s ORDER BY v.value_index) FROM %2$s v WHERE v.catalog_id = l.catalog_id AND v.aspect_id = l.aspect_id AND v.property_id = %3$s), ''[]''::jsonb) END AS j FROM property_list l WHERE l.catalog_id = $1 AND l.property_id = %3$s) p%4$s ON p%4$s.aspect_id = a.aspect_id',
          cheap_json_value_sql(p.property_type, 'v.value', 'v.zone', big_integers_as_text), tbl,
          p.property_id, n);
      ELSE
        joins := joins || format(
          ' LEFT JOIN (SELECT v.aspect_id, %1$s AS j FROM %2$s v WHERE v.catalog_id = $1 AND v.property_id = %3$s AND v.value_index = 0) p%4$s ON p%4$s.aspect_id = a.aspect_id',
          cheap_json_value_sql(p.property_type, 'v.value', 'v.zone', big_integers_as_text), tbl,
          p.property_id, n);
      END IF;
      parts := parts || format(
        'CASE WHEN p%1$s.aspect_id IS NULL THEN ''{}''::jsonb ELSE jsonb_build_object(%2$L, p%1$s.j) END',
        n, p.name);
    END IF;
  END LOOP;
  query := format(
    'SELECT a.entity_id, %s FROM aspect a %s%s WHERE a.catalog_id = $1 AND a.aspect_def_id = $2 ORDER BY a.map_order',
    CASE WHEN n = 0 THEN '''{}''::jsonb' ELSE array_to_string(parts, ' || ') END,
    CASE WHEN dedicated IS NULL THEN '' ELSE format(
      ' JOIN %I t ON t.catalog_id = a.catalog_id AND t.aspect_id = a.aspect_id', dedicated) END,
    joins);
  RETURN QUERY EXECUTE query USING catalog, def_id;
END
$$;
COMMENT ON FUNCTION cheap_aspects_json(uuid, text, boolean) IS
  'One row per aspect of an AspectDef in a catalog: entity_id and the aspect as JSONB (the catalog JSON value forms).';
