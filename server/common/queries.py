"""Every SQL statement the shared pieces run (server/common): the catalog, the hunt lookups and
the leaderboard. Each constant is one whole statement; grep its name to see all of it."""

# --- the catalog (catalog.py) --------------------------------------------------------------
# Catalog.put_hunt / put_collectible / put_clue read exactly these columns, `rev` included.

CATALOG_HUNTS_SQL = """
SELECT id, slug, starts_at, ends_at, rules, rev FROM hunts
"""
CATALOG_HUNT_SQL = """
SELECT id, slug, starts_at, ends_at, rules, rev FROM hunts WHERE id = $1
"""
CATALOG_HUNTS_BY_IDS_SQL = """
SELECT id, slug, starts_at, ends_at, rules, rev FROM hunts
WHERE id = ANY($1::bigint[]) ORDER BY id
"""
# What changed since the poll floor, a revision taken before commit (Catalog.poll).
CATALOG_HUNTS_CHANGED_SQL = """
SELECT id, slug, starts_at, ends_at, rules, rev FROM hunts WHERE rev > $1
"""

CATALOG_COLLECTIBLES_SQL = """
SELECT id, hunt_id, key, name, episode, rev FROM collectibles
"""
CATALOG_COLLECTIBLE_SQL = """
SELECT id, hunt_id, key, name, episode, rev FROM collectibles WHERE id = $1
"""
CATALOG_COLLECTIBLES_BY_IDS_SQL = """
SELECT id, hunt_id, key, name, episode, rev FROM collectibles
WHERE id = ANY($1::bigint[]) ORDER BY id
"""
CATALOG_COLLECTIBLES_CHANGED_SQL = """
SELECT id, hunt_id, key, name, episode, rev FROM collectibles WHERE rev > $1
"""

CATALOG_CLUES_SQL = """
SELECT id, hunt_id, collectible_id, kind, lat, lon, geofence, active, active_from,
       active_until, ar, code_version, rev
FROM clues
"""
CATALOG_CLUE_SQL = """
SELECT id, hunt_id, collectible_id, kind, lat, lon, geofence, active, active_from,
       active_until, ar, code_version, rev
FROM clues WHERE id = $1
"""
CATALOG_CLUES_BY_IDS_SQL = """
SELECT id, hunt_id, collectible_id, kind, lat, lon, geofence, active, active_from,
       active_until, ar, code_version, rev
FROM clues WHERE id = ANY($1::bigint[]) ORDER BY id
"""
# In revision order: a clue moved twice since the floor ends up as its last revision says.
CATALOG_CLUES_CHANGED_SQL = """
SELECT id, hunt_id, collectible_id, kind, lat, lon, geofence, active, active_from,
       active_until, ar, code_version, rev
FROM clues WHERE rev > $1 ORDER BY rev
"""

# --- the hunt a request names (hunts.py) ---------------------------------------------------

HUNT_BY_SLUG_SQL = """
SELECT id, slug, name, description, starts_at, ends_at, rules FROM hunts WHERE slug = $1
"""
HUNT_ID_SQL = """
SELECT id FROM hunts WHERE slug = $1
"""

# --- the leaderboard (leaderboard.py) ------------------------------------------------------

HUNTER_NAMES_SQL = """
SELECT id, live_name(handle, wallet, id) AS name FROM hunters WHERE id = ANY($1::bigint[])
"""
# The same order as the sorted set's ZREVRANGE: key descending, then member text descending.
TOP_SQL = """
SELECT s.hunter_id, s.score, s.reached_at, live_name(h.handle, h.wallet, h.id) AS name
FROM hunt_scores s JOIN hunters h ON h.id = s.hunter_id
WHERE s.hunt_id = $1
ORDER BY s.score DESC, date_trunc('milliseconds', s.reached_at), s.hunter_id::text DESC
LIMIT $2
"""
RANK_SQL = """
SELECT count(*) + 1 FROM hunt_scores
WHERE hunt_id = $1 AND (score > $2 OR (score = $2 AND reached_at < $3))
"""
SCORED_HUNTS_SQL = """
SELECT DISTINCT hunt_id FROM hunt_scores
"""
# Read through a cursor, in chunks, to rebuild one hunt's sorted set.
HUNT_SCORES_SQL = """
SELECT hunter_id, score, reached_at FROM hunt_scores WHERE hunt_id = $1
"""
