"""Every SQL statement the clues feature runs (store.py, routes.py). Each constant is one whole
statement."""

# --- reading clues (store.py, routes.py) ---------------------------------------------------
# `clue_json` and `stored_clue` read exactly these columns, the same in each statement.

CLUE_SQL = """
SELECT c.id, h.slug AS hunt, c.kind, k.key AS collectible, c.label, c.city, c.lat, c.lon,
       c.geofence, c.ar, c.active_from, c.active_until, c.max_finds, c.active, c.finds,
       c.created_by, c.hunt_id, c.code_version, c.ref
FROM clues c JOIN hunts h ON h.id = c.hunt_id JOIN collectibles k ON k.id = c.collectible_id
WHERE c.id = $1
"""
# The same, its clue row locked until the transaction ends (a change of the clue).
CLUE_FOR_UPDATE_SQL = """
SELECT c.id, h.slug AS hunt, c.kind, k.key AS collectible, c.label, c.city, c.lat, c.lon,
       c.geofence, c.ar, c.active_from, c.active_until, c.max_finds, c.active, c.finds,
       c.created_by, c.hunt_id, c.code_version, c.ref
FROM clues c JOIN hunts h ON h.id = c.hunt_id JOIN collectibles k ON k.id = c.collectible_id
WHERE c.id = $1
FOR UPDATE OF c
"""
CLUES_BY_IDS_SQL = """
SELECT c.id, h.slug AS hunt, c.kind, k.key AS collectible, c.label, c.city, c.lat, c.lon,
       c.geofence, c.ar, c.active_from, c.active_until, c.max_finds, c.active, c.finds,
       c.created_by, c.hunt_id, c.code_version, c.ref
FROM clues c JOIN hunts h ON h.id = c.hunt_id JOIN collectibles k ON k.id = c.collectible_id
WHERE c.id = ANY($1::bigint[])
ORDER BY c.id
"""
# A hunt's clues imported under these refs (sites), locked: an import compares and updates
# them. The columns above, and the collectible's id.
CLUES_BY_REFS_FOR_UPDATE_SQL = """
SELECT c.id, h.slug AS hunt, c.kind, k.key AS collectible, c.label, c.city, c.lat, c.lon,
       c.geofence, c.ar, c.active_from, c.active_until, c.max_finds, c.active, c.finds,
       c.created_by, c.hunt_id, c.code_version, c.ref, c.collectible_id
FROM clues c JOIN hunts h ON h.id = c.hunt_id JOIN collectibles k ON k.id = c.collectible_id
WHERE c.hunt_id = $1 AND c.ref = ANY($2::text[])
ORDER BY c.id
FOR UPDATE OF c
"""
# A hunt's clues by id, a page of them ($2 = limit, $3 = offset).
HUNT_CLUES_SQL = """
SELECT c.id, h.slug AS hunt, c.kind, k.key AS collectible, c.label, c.city, c.lat, c.lon,
       c.geofence, c.ar, c.active_from, c.active_until, c.max_finds, c.active, c.finds,
       c.created_by, c.hunt_id, c.code_version, c.ref
FROM clues c JOIN hunts h ON h.id = c.hunt_id JOIN collectibles k ON k.id = c.collectible_id
WHERE c.hunt_id = $1
ORDER BY c.id LIMIT $2 OFFSET $3
"""

COLLECTIBLE_IDS_SQL = """
SELECT key, id FROM collectibles WHERE hunt_id = $1
"""

# --- creating clues (store.py) -------------------------------------------------------------

# Many clues in one statement, one array per column ($13 = max_finds, $14 = ref), by $12;
# their ids in order.
INSERT_CLUES_SQL = """
WITH made AS (
    INSERT INTO clues (hunt_id, collectible_id, kind, label, city, lat, lon, geofence, ar,
                       active_from, active_until, max_finds, ref, created_by)
    SELECT $1, u.*, $12
    FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[],
                $8::jsonb[], $9::jsonb[], $10::timestamptz[], $11::timestamptz[], $13::int[],
                $14::text[])
         AS u(collectible_id, kind, label, city, lat, lon, geofence, ar, active_from,
              active_until, max_finds, ref)
    RETURNING id
)
SELECT array_agg(id ORDER BY id) FROM made
"""
# Imports of one hunt run one after another: each chunk's transaction takes the hunt's row
# first, so a second import of the same file finds the first one's clues by their refs.
LOCK_HUNT_FOR_IMPORT_SQL = """
SELECT id FROM hunts WHERE id = $1 FOR NO KEY UPDATE
"""
# One history entry per new clue ($4 = 'created' or 'imported').
HISTORY_OF_NEW_CLUES_SQL = """
INSERT INTO clue_history (clue_id, changed_by, role, action, changes)
SELECT unnest($1::bigint[]), $2, $3, $4, '{}'::jsonb
"""

# --- changing a clue (store.py) ------------------------------------------------------------

# Sets the columns named in $2 to their new values ($3 to $12, in the order of
# `store.CHANGEABLE`); every other column keeps its value.
UPDATE_CLUE_SQL = """
UPDATE clues SET
    lat = CASE WHEN 'lat' = ANY($2::text[]) THEN $3::float8 ELSE lat END,
    lon = CASE WHEN 'lon' = ANY($2::text[]) THEN $4::float8 ELSE lon END,
    geofence = CASE WHEN 'geofence' = ANY($2::text[]) THEN $5::jsonb ELSE geofence END,
    label = CASE WHEN 'label' = ANY($2::text[]) THEN $6::text ELSE label END,
    city = CASE WHEN 'city' = ANY($2::text[]) THEN $7::text ELSE city END,
    active_from = CASE WHEN 'active_from' = ANY($2::text[])
                       THEN $8::timestamptz ELSE active_from END,
    active_until = CASE WHEN 'active_until' = ANY($2::text[])
                        THEN $9::timestamptz ELSE active_until END,
    active = CASE WHEN 'active' = ANY($2::text[]) THEN $10::boolean ELSE active END,
    max_finds = CASE WHEN 'max_finds' = ANY($2::text[]) THEN $11::int ELSE max_finds END,
    ar = CASE WHEN 'ar' = ANY($2::text[]) THEN $12::jsonb ELSE ar END,
    updated_at = now()
WHERE id = $1
"""
HISTORY_OF_CHANGE_SQL = """
INSERT INTO clue_history (clue_id, changed_by, role, action, changes)
VALUES ($1, $2, $3, 'updated', $4)
"""

# --- reissuing a printed code (reissue.py) -------------------------------------------------

# The clue's next code version: every code of an earlier one is refused from now on.
REISSUE_SQL = """
UPDATE clues SET code_version = code_version + 1, updated_at = now()
WHERE id = $1
RETURNING code_version
"""
# $4 = {"code_version": {"from", "to"}, "reason"?}
HISTORY_OF_REISSUE_SQL = """
INSERT INTO clue_history (clue_id, changed_by, role, action, changes)
VALUES ($1, $2, $3, 'reissued', $4)
"""

# --- a clue's history (routes.py) ----------------------------------------------------------

CLUE_HISTORY_SQL = """
SELECT changed_at AS at, changed_by AS by, role, action, changes
FROM clue_history WHERE clue_id = $1 ORDER BY id
"""
