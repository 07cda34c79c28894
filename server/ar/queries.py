"""Every SQL statement the AR hints feature runs (routes.py). Each constant is one whole
statement."""

# The collectibles this hunter found in this hunt: their hints are marked `found`.
FOUND_SQL = """
SELECT collectible_id FROM finds WHERE hunter_id = $1 AND hunt_id = $2
"""

# A hunt this process has not heard of yet, as its catalog holds hunts (Catalog.put_hunt reads
# these columns).
CATALOG_HUNT_BY_SLUG_SQL = """
SELECT id, slug, starts_at, ends_at, rules, rev FROM hunts WHERE slug = $1
"""
