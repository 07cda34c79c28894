-- Passkeys (WebAuthn) for hunters: a walletless hunter signs in again on any device its
-- passkey syncs to.

-- The opaque WebAuthn user id of a hunter (never its id or handle): made once, at the hunter's
-- first registration options, and named by every passkey it registers; a login's userHandle
-- must be this hunter's.
CREATE TABLE passkey_users (
    hunter_id    bigint PRIMARY KEY REFERENCES hunters ON DELETE CASCADE,
    user_handle  bytea NOT NULL UNIQUE CHECK (octet_length(user_handle) BETWEEN 16 AND 64)
);

-- One row per registered credential. `sign_count` is the authenticator's counter as last seen:
-- a login whose counter does not move forward (both 0 aside: synced passkeys keep 0) is refused.
CREATE TABLE passkeys (
    id             bigserial PRIMARY KEY,
    credential_id  bytea NOT NULL UNIQUE CHECK (octet_length(credential_id) BETWEEN 1 AND 1023),
    hunter_id      bigint NOT NULL REFERENCES hunters ON DELETE CASCADE,
    public_key     bytea NOT NULL,
    sign_count     bigint NOT NULL DEFAULT 0 CHECK (sign_count BETWEEN 0 AND 4294967295),
    transports     text[] NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz
);
CREATE INDEX passkeys_hunter_idx ON passkeys (hunter_id);

-- Challenges handed out with options: each is taken (deleted) by the first credential that
-- names it, whether that credential then verifies or not, and is good only for its purpose,
-- a registration's only for the hunter who asked, and only until it expires.
CREATE TABLE passkey_challenges (
    challenge   bytea PRIMARY KEY,
    purpose     text NOT NULL CHECK (purpose IN ('register', 'login')),
    hunter_id   bigint REFERENCES hunters ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    CHECK ((purpose = 'register') = (hunter_id IS NOT NULL))
);
CREATE INDEX passkey_challenges_expiry_idx ON passkey_challenges (expires_at);
