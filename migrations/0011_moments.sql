-- Fans' moments: a scene of an episode a fan has found, with a title and an optional note and
-- sketch; reviewed by the organisers, loved and reported by fans, and minted to its author
-- through the same outbox and worker as finds.

-- Token ids. A find's token id is the find's id; a moment's is 2^62 + the moment's id. The
-- constraints below hold each side of that line, so no moment's token can ever be a find's:
-- finds stay below 2^62 (the sequence stops there too, with an error rather than a collision),
-- and a moment's token id is 2^62 + its id (ids from 1).
ALTER SEQUENCE finds_id_seq MAXVALUE 4611686018427387903;
ALTER TABLE finds ADD CONSTRAINT finds_id_below_moment_tokens
    CHECK (id < 4611686018427387904) NOT VALID;
ALTER TABLE finds VALIDATE CONSTRAINT finds_id_below_moment_tokens;

CREATE TABLE moments (
    id             bigint GENERATED ALWAYS AS IDENTITY (MAXVALUE 4611686018427387903)
                   PRIMARY KEY,
    hunt_id        bigint NOT NULL REFERENCES hunts ON DELETE CASCADE,
    collectible_id bigint NOT NULL REFERENCES collectibles ON DELETE CASCADE,
    author_id      bigint NOT NULL REFERENCES hunters,
    scene_s        integer NOT NULL CHECK (scene_s BETWEEN 0 AND 7200),
    title          text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 80),
    note           text CHECK (note IS NULL OR char_length(note) BETWEEN 1 AND 280),
    -- The server's own re-encoding (PNG or sanitised SVG), as for engravings.
    sketch         bytea,
    sketch_type    text CHECK (sketch_type IN ('image/png', 'image/svg+xml')),
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'approved', 'rejected', 'hidden')),
    -- Given at the first approval and kept ever after (a later takedown keeps the token).
    token_id       bigint UNIQUE CHECK (token_id = 4611686018427387904 + id),
    -- The sort key of `?sort=loved`: moment_loves counted, folded in from moment_love_deltas
    -- by the readers of lists (never by a love, so that no love waits on this row).
    loves          integer NOT NULL DEFAULT 0,
    -- Distinct reporters since the last decision; a decision starts a new round.
    reports        integer NOT NULL DEFAULT 0,
    review_round   integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    decided_at     timestamptz,
    CHECK ((sketch IS NULL) = (sketch_type IS NULL)),
    CHECK ((status = 'pending') = (token_id IS NULL AND decided_at IS NULL)),
    CHECK (status NOT IN ('approved', 'hidden') OR token_id IS NOT NULL)
);
-- Lists: a hunt's moments in one status, newest or most loved first, of one collectible or all.
CREATE INDEX moments_recent_idx ON moments (hunt_id, status, id);
CREATE INDEX moments_loved_idx ON moments (hunt_id, status, loves, id);
CREATE INDEX moments_collectible_idx ON moments (collectible_id, status, id);
CREATE INDEX moments_author_idx ON moments (author_id, id);

-- How many moments each hunter made in each hunt: taken with a conditional upsert in the
-- transaction that inserts the moment, so concurrent creations by one hunter queue on this row
-- and never pass the hunt's `moments_per_hunter`. Rejected moments count too.
CREATE TABLE moment_quotas (
    hunt_id   bigint NOT NULL REFERENCES hunts ON DELETE CASCADE,
    hunter_id bigint NOT NULL REFERENCES hunters,
    made      integer NOT NULL CHECK (made >= 0),
    PRIMARY KEY (hunt_id, hunter_id)
);

-- Every decision on a moment, who and when: an organiser's approval or rejection (with its
-- reason), or a hiding by reports (actor_role 'reports', with how many there were).
CREATE TABLE moment_decisions (
    id          bigserial PRIMARY KEY,
    moment_id   bigint NOT NULL REFERENCES moments ON DELETE CASCADE,
    action      text NOT NULL CHECK (action IN ('approve', 'reject', 'hide')),
    status      text NOT NULL CHECK (status IN ('approved', 'rejected', 'hidden')),
    reason      text CHECK (reason IS NULL OR char_length(reason) BETWEEN 1 AND 500),
    actor_role  text NOT NULL CHECK (actor_role IN ('organiser', 'reports')),
    actor       text,
    reports     integer,
    decided_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((actor_role = 'organiser') = (actor IS NOT NULL)),
    CHECK (action <> 'reject' OR reason IS NOT NULL)
);
CREATE INDEX moment_decisions_moment_idx ON moment_decisions (moment_id, id);

-- One report per hunter, moment and review round.
CREATE TABLE moment_reports (
    moment_id    bigint NOT NULL REFERENCES moments ON DELETE CASCADE,
    review_round integer NOT NULL,
    hunter_id    bigint NOT NULL REFERENCES hunters,
    reason       text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    reported_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (moment_id, review_round, hunter_id)
);

-- Loves: one row per hunter and moment, the truth. A love inserts a row here and a +1 in
-- moment_love_deltas, an unlove deletes the row and inserts a -1: insert-only on the hot path,
-- so ten thousand fans loving one moment at once never queue on one row. Neither table has a
-- foreign key to moments, whose check would share-lock the moment's row at every love (a love
-- names a moment the same statement found approved; moments are never deleted).
CREATE TABLE moment_loves (
    moment_id bigint NOT NULL,
    hunter_id bigint NOT NULL REFERENCES hunters,
    loved_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (moment_id, hunter_id)
);
CREATE INDEX moment_loves_hunter_idx ON moment_loves (hunter_id, moment_id);

-- Changes of loves not yet added to moments.loves. A list folds its hunt's deltas first (one
-- fold per hunt at a time: it holds the hunt's moment_folds row, and a reader that finds it held
-- does not wait); stats add the pending ones to the folded counts in their snapshot.
CREATE TABLE moment_love_deltas (
    id        bigserial PRIMARY KEY,
    hunt_id   bigint NOT NULL,
    moment_id bigint NOT NULL,
    delta     smallint NOT NULL CHECK (delta IN (-1, 1))
);
CREATE INDEX moment_love_deltas_hunt_idx ON moment_love_deltas (hunt_id, moment_id);

-- One row per hunt with moments (written with its first moment): the lock a fold holds.
CREATE TABLE moment_folds (
    hunt_id bigint PRIMARY KEY REFERENCES hunts ON DELETE CASCADE
);

-- The mint outbox of moments, beside mint_jobs (finds): the same statuses and columns, keyed by
-- the moment, with its token id. The worker claims from both (chain/minting/queries.py).
CREATE TABLE moment_mints (
    moment_id  bigint PRIMARY KEY REFERENCES moments ON DELETE CASCADE,
    token_id   bigint NOT NULL UNIQUE REFERENCES moments (token_id)
               CHECK (token_id = 4611686018427387904 + moment_id),
    wallet     text NOT NULL CHECK (wallet ~ '^0x[0-9a-f]{40}$'),
    status     text NOT NULL DEFAULT 'queued'
               CHECK (status IN ('queued', 'submitted', 'minted', 'failed')),
    batch_id   bigint REFERENCES mint_batches,
    attempts   integer NOT NULL DEFAULT 0,
    error      text,
    tx_hash    text,
    contract   text,
    chain_id   bigint,
    queued_at  timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    minted_at  timestamptz
);
CREATE INDEX moment_mints_queued_idx ON moment_mints (token_id) WHERE status = 'queued';
CREATE INDEX moment_mints_batch_idx ON moment_mints (batch_id) WHERE status = 'submitted';
CREATE TRIGGER moment_mints_queued AFTER INSERT OR UPDATE OF status ON moment_mints
    FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION mint_jobs_notify();

-- A wallet arrived: the author's approved (or hidden) moments that waited for one are queued.
-- An approval reads the author's wallet under a share lock of the hunter's row, which the
-- wallet's link updates: whichever commits second sees the other, so no moment is left waiting.
CREATE FUNCTION moments_on_wallet() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO moment_mints (moment_id, token_id, wallet)
    SELECT m.id, m.token_id, NEW.wallet FROM moments m
    WHERE m.author_id = NEW.id AND m.status IN ('approved', 'hidden')
    ORDER BY m.id
    ON CONFLICT (moment_id) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER hunters_moment_mints AFTER UPDATE OF wallet ON hunters
    FOR EACH ROW WHEN (OLD.wallet IS NULL AND NEW.wallet IS NOT NULL)
    EXECUTE FUNCTION moments_on_wallet();

-- Holding a token bought from someone else: the holder's tokens, by owner.
CREATE INDEX token_holders_owner_idx ON token_holders (owner, token_id);
