"""Every SQL statement the composition root runs itself (tools.py). Each constant is one whole
statement."""

# All hunts, or the one whose slug is $1: the hunts whose leaderboards are rebuilt.
HUNTS_SQL = """
SELECT id, slug FROM hunts WHERE $1::text IS NULL OR slug = $1
"""
