"""Every SQL statement the screens feature runs (routes.py). Each constant is one whole
statement."""

HUNT_NAME_SQL = """
SELECT name FROM hunts WHERE id = $1
"""
