"""Every SQL statement the codes feature runs (lookup.py). Each constant is one whole statement."""

# What a code's answer shows that the catalog does not hold: read once per clue and process,
# again only after the catalog saw the clue, its hunt or its collectible change.
CODE_SHOWN_SQL = """
SELECT h.name AS hunt_name, c.label, c.city, k.image_url
FROM clues c
JOIN hunts h ON h.id = c.hunt_id
JOIN collectibles k ON k.id = c.collectible_id
WHERE c.id = $1
"""
