-- Every token issued through `POST /v1/auth/tokens`: who asked (the caller's role, subject and
-- hunt limit), what was issued and when. Written in the same transaction that decides to issue,
-- so no token leaves the server unrecorded. The signed token itself is never stored.
CREATE TABLE token_issues (
    id            bigserial PRIMARY KEY,
    issuer_role   text NOT NULL,
    issuer_sub    text NOT NULL,
    issuer_hunt   text,
    role          text NOT NULL,
    sub           text NOT NULL,
    hunt          text,
    ttl_s         integer NOT NULL,
    issued_at     timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX token_issues_sub_idx ON token_issues (role, sub, issued_at DESC);
