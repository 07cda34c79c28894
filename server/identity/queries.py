"""Every SQL statement the identity feature runs (routes.py, passkeys.py). Each constant is one
whole statement."""

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

# --- passkeys (passkeys.py) ---------------------------------------------------------------------

PASSKEY_HUNTER_SQL = """
SELECT handle, wallet FROM hunters WHERE id = $1
"""

# The hunter's WebAuthn user id: made by the first call ($2, random), the same ever after.
PASSKEY_USER_HANDLE_SQL = """
INSERT INTO passkey_users (hunter_id, user_handle) VALUES ($1, $2)
ON CONFLICT (hunter_id) DO UPDATE SET user_handle = passkey_users.user_handle
RETURNING user_handle
"""

HUNTER_PASSKEYS_SQL = """
SELECT credential_id, transports FROM passkeys WHERE hunter_id = $1 ORDER BY id
"""

# A new challenge; the expired ones go at the same time, so the table holds minutes of them.
ISSUE_CHALLENGE_SQL = """
WITH expired AS (DELETE FROM passkey_challenges WHERE expires_at <= now())
INSERT INTO passkey_challenges (challenge, purpose, hunter_id, expires_at)
VALUES ($1, $2, $3, now() + make_interval(secs => $4))
"""

# Taken once: the first credential that names the challenge deletes it, verified or not.
TAKE_CHALLENGE_SQL = """
DELETE FROM passkey_challenges WHERE challenge = $1
RETURNING purpose, hunter_id, expires_at > now() AS live
"""

# Nothing comes back when the credential is registered already.
ADD_PASSKEY_SQL = """
INSERT INTO passkeys (credential_id, hunter_id, public_key, sign_count, transports)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (credential_id) DO NOTHING RETURNING id
"""

PASSKEY_BY_CREDENTIAL_SQL = """
SELECT p.hunter_id, p.public_key, p.sign_count, u.user_handle
FROM passkeys p JOIN passkey_users u ON u.hunter_id = p.hunter_id
WHERE p.credential_id = $1
"""

# The counter moves forward only (or stays 0 where the authenticator keeps none): of two logins
# racing with one counter value, the second gets no row back.
ADVANCE_PASSKEY_SQL = """
UPDATE passkeys SET sign_count = $2, last_used_at = now()
WHERE credential_id = $1 AND (sign_count < $2 OR (sign_count = 0 AND $2 = 0))
RETURNING hunter_id
"""
