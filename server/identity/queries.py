"""Every SQL statement the identity feature runs (routes.py). Each constant is one whole
statement."""

# Who issued which token, for the audit trail (the token itself is never stored).
RECORD_ISSUE_SQL = """
INSERT INTO token_issues (issuer_role, issuer_sub, issuer_hunt, role, sub, hunt, ttl_s, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""

CREATE_HANDLE_HUNTER_SQL = """
INSERT INTO hunters (handle) VALUES ($1) RETURNING id
"""

HUNTER_BY_WALLET_SQL = """
SELECT id FROM hunters WHERE wallet = $1
"""

# Locks the hunter while a wallet is linked to it.
HUNTER_WALLET_FOR_UPDATE_SQL = """
SELECT wallet FROM hunters WHERE id = $1 FOR UPDATE
"""

LINK_WALLET_SQL = """
UPDATE hunters SET wallet = $2 WHERE id = $1
"""

# Two first sign-ins of one wallet may race: the loser gets no row back.
CREATE_WALLET_HUNTER_SQL = """
INSERT INTO hunters (wallet) VALUES ($1)
ON CONFLICT (wallet) DO NOTHING RETURNING id
"""

# A wallet arrived: the hunter's finds that waited for one get their mint jobs.
RELEASE_WAITING_FINDS_SQL = """
INSERT INTO mint_jobs (find_id, wallet)
SELECT f.id, h.wallet FROM finds f JOIN hunters h ON h.id = f.hunter_id
WHERE f.hunter_id = $1 AND h.wallet IS NOT NULL
ORDER BY f.id ON CONFLICT (find_id) DO NOTHING
"""

ME_SQL = """
SELECT id, handle, wallet, score, (SELECT count(*) FROM finds WHERE hunter_id = $1) AS finds
FROM hunters WHERE id = $1
"""
