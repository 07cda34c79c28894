"""Every SQL statement the hunts feature runs (routes.py). Each constant is one whole statement."""

# A hunt's collectibles as the API shows them, in the order they were added.
COLLECTIBLES_OF_HUNT_SQL = """
SELECT key, name, episode, image_url, description, supply, found
FROM collectibles WHERE hunt_id = $1 ORDER BY id
"""

# Hunts a fan can play now or soon: not over at $1, starting before $2; first to start first.
PLAYABLE_HUNTS_SQL = """
SELECT slug, name, description, starts_at, ends_at FROM hunts
WHERE ends_at > $1 AND starts_at < $2
ORDER BY starts_at, slug
LIMIT $3
"""

# What an organiser can run: every hunt, the newest first (the console's choice of hunt).
ORGANISER_HUNTS_SQL = """
SELECT slug, name, description, starts_at, ends_at FROM hunts
WHERE $1::text IS NULL OR slug = $1
ORDER BY id DESC
LIMIT $2
"""

CREATE_HUNT_SQL = """
INSERT INTO hunts (slug, name, description, starts_at, ends_at, rules, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, slug, name, description, starts_at, ends_at, rules
"""

# Locks the hunt for the read-merge-write of a PATCH.
HUNT_FOR_UPDATE_SQL = """
SELECT id, slug, name, description, starts_at, ends_at, rules FROM hunts
WHERE slug = $1 FOR UPDATE
"""

UPDATE_HUNT_SQL = """
UPDATE hunts SET name = $2, description = $3, starts_at = $4, ends_at = $5, rules = $6
WHERE id = $1
RETURNING id, slug, name, description, starts_at, ends_at, rules
"""

CREATE_COLLECTIBLE_SQL = """
INSERT INTO collectibles (hunt_id, key, name, episode, image_url, description, supply)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, key, name, episode, image_url, description, supply, found
"""

# The row as this process's catalog holds it (Catalog.put_hunt reads these columns), so that
# the writer's own process sees the change at once.
CATALOG_HUNT_SQL = """
SELECT id, slug, starts_at, ends_at, rules, rev FROM hunts WHERE id = $1
"""
# The same for a collectible (Catalog.put_collectible).
CATALOG_COLLECTIBLE_SQL = """
SELECT id, hunt_id, key, name, episode, rev FROM collectibles WHERE id = $1
"""

ALERTS_SQL = """
SELECT id, kind, clue_id, raised_at, detail FROM alerts WHERE hunt_id = $1
ORDER BY id DESC LIMIT 500
"""
