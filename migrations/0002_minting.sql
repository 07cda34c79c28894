-- Exactly-once minting: a transactional outbox of mint jobs and a ledger of the signed
-- transactions that carry them.
--
-- A find's mint job is written in the same transaction as the find (claim_find) or as the wallet
-- link that releases it, so no find is ever without its job once it has a wallet. A find with
-- no job is `awaiting_wallet`; the job's status is the find's mint status from then on.

CREATE TABLE mint_batches (
    -- One nonce's worth of work: a mint or mintBatch transaction and its replacements.
    id           bigserial PRIMARY KEY,
    signer       text NOT NULL,
    chain_id     bigint NOT NULL,
    contract     text NOT NULL,
    nonce        bigint NOT NULL,
    token_ids    bigint[] NOT NULL,
    -- pending: signed, maybe broadcast; mined: receipt with status 1; reverted: receipt with
    -- status 0; dropped: its nonce was used by a transaction that is not ours.
    status       text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'mined', 'reverted', 'dropped')),
    mined_hash   text,
    block_number bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    settled_at   timestamptz
);
-- Two live batches can never share a nonce, whichever worker signed them.
CREATE UNIQUE INDEX mint_batches_nonce_idx ON mint_batches (chain_id, signer, nonce)
    WHERE status <> 'dropped';
CREATE INDEX mint_batches_pending_idx ON mint_batches (signer, nonce) WHERE status = 'pending';

CREATE TABLE mint_txs (
    -- Every signed version of a batch's transaction; a replacement shares the batch's nonce.
    hash                     text PRIMARY KEY,
    batch_id                 bigint NOT NULL REFERENCES mint_batches ON DELETE CASCADE,
    raw                      bytea NOT NULL,
    max_fee_per_gas          numeric(78) NOT NULL,
    max_priority_fee_per_gas numeric(78) NOT NULL,
    signed_at                timestamptz NOT NULL DEFAULT now(),
    -- Set once a node accepted it; a crash between signing and sending leaves it NULL.
    sent_at                  timestamptz
);
CREATE INDEX mint_txs_batch_idx ON mint_txs (batch_id, signed_at);

CREATE TABLE mint_jobs (
    find_id      bigint PRIMARY KEY REFERENCES finds ON DELETE CASCADE,
    wallet       text NOT NULL CHECK (wallet ~ '^0x[0-9a-f]{40}$'),
    status       text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'submitted', 'minted', 'failed')),
    batch_id     bigint REFERENCES mint_batches,
    attempts     integer NOT NULL DEFAULT 0,
    error        text,
    tx_hash      text,
    contract     text,
    chain_id     bigint,
    queued_at    timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    minted_at    timestamptz
);
CREATE INDEX mint_jobs_queued_idx ON mint_jobs (find_id) WHERE status = 'queued';
CREATE INDEX mint_jobs_batch_idx ON mint_jobs (batch_id) WHERE status = 'submitted';

CREATE TABLE mint_signers (
    -- Each worker's view of its key, refreshed as it runs, so any server's /metrics can show
    -- the signer's balance and how far the worker's nonce is from the chain's.
    signer      text NOT NULL,
    chain_id    bigint NOT NULL,
    contract    text NOT NULL,
    local_nonce bigint,
    chain_nonce bigint,
    balance_wei numeric(78),
    seen_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (signer, chain_id)
);

-- The worker sleeps on LISTEN geohunt_mint; identical payloads in one transaction are delivered
-- once, so a bulk release wakes it once.
CREATE FUNCTION mint_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('geohunt_mint', 'queued');
    RETURN NULL;
END $$;
CREATE TRIGGER mint_jobs_queued AFTER INSERT OR UPDATE OF status ON mint_jobs
    FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION mint_jobs_notify();

-- Finds recorded before this migration: those with a wallet get their job now.
INSERT INTO mint_jobs (find_id, wallet, queued_at)
SELECT f.id, h.wallet, f.found_at
FROM finds f JOIN hunters h ON h.id = f.hunter_id
WHERE h.wallet IS NOT NULL;

DROP INDEX finds_awaiting_idx;
ALTER TABLE finds DROP COLUMN mint_status, DROP COLUMN mint_error;

-- claim_find as in 0001, with the find's mint job written in the same transaction.
CREATE OR REPLACE FUNCTION claim_find(
    p_hunter bigint, p_expected_version bigint, p_hunt bigint, p_collectible bigint, p_clue bigint,
    p_lat double precision, p_lon double precision, p_accuracy double precision,
    p_distance double precision, p_scanned_at timestamptz, p_device text, p_address inet
) RETURNS TABLE (
    verdict text, find_id bigint, found_at timestamptz, mint_status text, score integer,
    reached_at timestamptz, version bigint, last_lat double precision, last_lon double precision,
    last_found_at timestamptz
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    h hunters%ROWTYPE;
    v_now timestamptz := clock_timestamp();
    v_find bigint;
    v_status text;
    v_score integer;
    v_reached timestamptz;
    v_verdict text;
BEGIN
    SELECT * INTO h FROM hunters WHERE id = p_hunter FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown_hunter'::text, NULL::bigint, NULL::timestamptz, NULL::text,
            NULL::integer, NULL::timestamptz, NULL::bigint, NULL::float8, NULL::float8,
            NULL::timestamptz;
        RETURN;
    END IF;
    IF h.finds_version <> p_expected_version THEN
        RETURN QUERY SELECT 'stale'::text, NULL::bigint, NULL::timestamptz, NULL::text,
            h.score, NULL::timestamptz, h.finds_version, h.last_lat, h.last_lon, h.last_found_at;
        RETURN;
    END IF;

    IF EXISTS (SELECT 1 FROM finds f WHERE f.hunter_id = p_hunter AND f.collectible_id = p_collectible) THEN
        v_verdict := 'already_found';
    ELSE
        UPDATE clues SET finds = finds + 1
            WHERE id = p_clue AND (max_finds IS NULL OR finds < max_finds);
        IF NOT FOUND THEN
            v_verdict := 'sold_out';
        ELSE
            UPDATE collectibles SET found = found + 1
                WHERE id = p_collectible AND (supply IS NULL OR found < supply);
            IF NOT FOUND THEN
                UPDATE clues SET finds = finds - 1 WHERE id = p_clue;
                v_verdict := 'sold_out';
            ELSE
                v_verdict := 'accepted';
            END IF;
        END IF;
    END IF;

    IF v_verdict <> 'accepted' THEN
        INSERT INTO scan_attempts (hunter_id, hunt_id, clue_id, verdict, lat, lon, accuracy_m,
                                   distance_m, scanned_at, device_id, address)
        VALUES (p_hunter, p_hunt, p_clue, v_verdict, p_lat, p_lon, p_accuracy, p_distance,
                p_scanned_at, p_device, p_address);
        RETURN QUERY SELECT v_verdict, NULL::bigint, NULL::timestamptz, NULL::text, h.score,
            NULL::timestamptz, h.finds_version, h.last_lat, h.last_lon, h.last_found_at;
        RETURN;
    END IF;

    INSERT INTO finds (hunter_id, hunt_id, collectible_id, clue_id, found_at, lat, lon, accuracy_m)
    VALUES (p_hunter, p_hunt, p_collectible, p_clue, v_now, p_lat, p_lon, p_accuracy)
    RETURNING id INTO v_find;

    IF h.wallet IS NULL THEN
        v_status := 'awaiting_wallet';
    ELSE
        INSERT INTO mint_jobs (find_id, wallet, queued_at) VALUES (v_find, h.wallet, v_now);
        v_status := 'queued';
    END IF;

    UPDATE hunters SET
        score = hunters.score + 1,
        finds_version = hunters.finds_version + 1,
        last_lat = COALESCE(p_lat, hunters.last_lat),
        last_lon = COALESCE(p_lon, hunters.last_lon),
        last_found_at = CASE WHEN p_lat IS NULL THEN hunters.last_found_at ELSE v_now END
    WHERE id = p_hunter
    RETURNING * INTO h;

    INSERT INTO hunt_scores AS s (hunt_id, hunter_id, score, reached_at)
    VALUES (p_hunt, p_hunter, 1, v_now)
    ON CONFLICT (hunt_id, hunter_id) DO UPDATE SET score = s.score + 1, reached_at = v_now
    RETURNING s.score, s.reached_at INTO v_score, v_reached;

    INSERT INTO scan_attempts (hunter_id, hunt_id, clue_id, verdict, lat, lon, accuracy_m,
                               distance_m, scanned_at, device_id, address, find_id)
    VALUES (p_hunter, p_hunt, p_clue, 'accepted', p_lat, p_lon, p_accuracy, p_distance,
            p_scanned_at, p_device, p_address, v_find);

    RETURN QUERY SELECT 'accepted'::text, v_find, v_now, v_status, v_score, v_reached,
        h.finds_version, h.last_lat, h.last_lon, h.last_found_at;
END $$;

-- Contracts deployed by `geohunt chain deploy`: where CONTRACT_ADDRESS is not set, servers and
-- workers use the latest one on their chain.
CREATE TABLE chain_deployments (
    id          bigserial PRIMARY KEY,
    chain_id    bigint NOT NULL,
    address     text NOT NULL,
    base_uri    text NOT NULL,
    deployed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chain_deployments_chain_idx ON chain_deployments (chain_id, id DESC);
