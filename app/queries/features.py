"""The one GeoJSON Feature builder: SQL that makes PostgreSQL write a place's Feature as JSON text.

The map API, the name search, the exports and the OGC API all use it, so a place has one shape and one
vocabulary everywhere (geo/fields.py: OSM's keys where OSM has one). The map gets the light feature (what a
marker and the list need), the others the full one; a light feature's properties are a subset of the full
one's, with the same values. Building the text in SQL is what keeps the map and the exports near the speed of
the bare query (benchmarks/map_api_bench.py, export_bench.py).
"""

from sqlalchemy import literal_column

from geo.fields import DEPRECATED_ALIASES, DETAIL_FIELDS, MAP_FIELDS, PUBLIC_FIELDS, Field


def _value_sql(table: str, field: Field) -> str:
    """A field's value as features carry it: lengths stored in centimetres are written as OSM writes them, in
    metres as a decimal string ("0.9" for 90, "0.07" for 7; null stays null)."""
    if field.type == "centimetres":
        return f"trim_scale({table}.{field.key} / 100.0)::text"
    return f"{table}.{field.key}"


def _properties_sql(table: str, pairs: list[str], details: list[str]) -> str:
    """The properties object; the details' keys only on a place with at least one known detail. Most places have
    none, and a million exported features would otherwise carry a dozen nulls each (benchmarks/export_bench.py:
    744 MB instead of 421)."""
    core = f"json_build_object({', '.join(pairs)})"
    if not details:
        return core
    known = "num_nonnulls(" + ", ".join(f"{table}.{f.key}" for f in PUBLIC_FIELDS if f.key in DETAIL_FIELDS) + ")"
    return (f"CASE WHEN {known} = 0 THEN {core}::text "
            f"ELSE json_build_object({', '.join(pairs + details)})::text END")


def _with_address_sql(table: str, properties: str) -> str:
    """The properties with the place's OSM address appended as `addr:*` keys (sorted), on places that have one:
    the object's closing brace gives way to them, so the other keys keep their order."""
    address = (f"(SELECT json_object_agg('addr:' || key, value ORDER BY key) FROM jsonb_each_text({table}.address))"
               "::text")
    return (f"CASE WHEN {table}.address IS NULL THEN {properties} "
            f"ELSE left({properties}, -1) || ',' || substr({address}, 2) END")


def feature_sql(table: str, *, full: bool) -> str:
    """SQL text evaluating to the Feature (JSON text) of the place row `table` (an alias or table name)."""
    fields = PUBLIC_FIELDS if full else MAP_FIELDS
    pairs = [f"'{f.property}', {_value_sql(table, f)}" for f in fields if f.key not in DETAIL_FIELDS]
    details = [f"'{f.property}', {_value_sql(table, f)}" for f in fields if f.key in DETAIL_FIELDS]
    if full:
        # Whole seconds, in the transaction's time zone (the exports and the API set UTC).
        pairs += [f"'osm_type', {table}.osm_type", f"'osm_id', {table}.osm_id",
                  f"'updated_at', date_trunc('second', {table}.updated_at)",
                  f"'last_verified_at', date_trunc('second', {table}.last_verified_at)",
                  # OSM's date of the last survey of the wheelchair value, so a merge upstream can carry it.
                  f"'check_date:wheelchair', to_char({table}.last_verified_at, 'YYYY-MM-DD')"]
    else:
        pairs += [f"'{old}', {table}.{old}" for old in DEPRECATED_ALIASES if any(f.key == old for f in fields)]
    properties = _properties_sql(table, pairs, details)
    if full:
        properties = _with_address_sql(table, f"({properties})::text")
    return (f"""concat('{{"type":"Feature","id":', {table}.id, ',"geometry":', ST_AsGeoJSON({table}.geom, 7), """
            f"""',"properties":', {properties}, '}}')""")


def feature_column(*, full: bool = True):
    """The builder as a column of a SQLAlchemy select over the places table."""
    return literal_column(feature_sql("places", full=full))
