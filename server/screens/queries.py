"""Every SQL statement the screens feature runs (routes.py). Each constant is one whole
statement."""

HUNT_NAME_SQL = """
SELECT name FROM hunts WHERE id = $1
"""

# The public ticker of a venue screen: a hunt's latest finds, each with what anyone may see of
# it (the hunter's name as the leaderboard shows it, the collectible, the clue's city, the time),
# and nothing else: no ids, no place but the city, no wallet beyond the leaderboard's short form.
RECENT_FINDS_SQL = """
SELECT f.found_at, live_name(h.handle, h.wallet, h.id) AS name,
       c.key, c.name AS collectible_name, c.episode, cl.city
FROM finds f
JOIN hunters h ON h.id = f.hunter_id
JOIN collectibles c ON c.id = f.collectible_id
JOIN clues cl ON cl.id = f.clue_id
WHERE f.hunt_id = $1
ORDER BY f.id DESC
LIMIT $2
"""
