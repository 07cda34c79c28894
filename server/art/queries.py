"""Every SQL statement the art feature runs (store.py, routes.py). Each constant is one whole
statement."""

# Stored once per content: a second upload of the same picture changes nothing.
STORE_ART_SQL = """
INSERT INTO collectible_art (sha256, media_type, data, width, height, created_by)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (sha256) DO NOTHING
"""

ART_SQL = """
SELECT media_type, data FROM collectible_art WHERE sha256 = $1
"""

COLLECTIBLE_ID_SQL = """
SELECT id FROM collectibles WHERE hunt_id = $1 AND key = $2
"""

# The collectible now shows the stored art.
SET_IMAGE_SQL = """
UPDATE collectibles SET image_url = $3
WHERE hunt_id = $1 AND key = $2
RETURNING id, key, name, episode, image_url, description, supply, found
"""

# The row as this process's catalog holds it (Catalog.put_collectible reads these columns), so
# that the writer's own process sees the change at once.
CATALOG_COLLECTIBLE_SQL = """
SELECT id, hunt_id, key, name, episode, rev FROM collectibles WHERE id = $1
"""
