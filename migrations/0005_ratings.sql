-- Episode ratings: what happens to tokens after their mint, read from the chain's Transfer
-- events by `geohunt follow`, and the indexes that keep the organisers' figures fast.

-- How far the follower has read each contract: the next block to read, only ever moved in the
-- transaction that stores the events below it, so a restart neither skips nor repeats a block.
CREATE TABLE chain_cursors (
    chain_id    bigint NOT NULL,
    contract    text NOT NULL,
    next_block  bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, contract)
);

-- Every Transfer event seen, once: (block, log index) names an event on a chain for good.
CREATE TABLE token_transfers (
    chain_id     bigint NOT NULL,
    contract     text NOT NULL,
    block_number bigint NOT NULL,
    log_index    integer NOT NULL,
    tx_hash      text NOT NULL,
    token_id     bigint NOT NULL,
    from_addr    text NOT NULL,
    to_addr      text NOT NULL,
    -- A transfer from the zero address is the mint; anything else is a holder passing it on.
    secondary    boolean GENERATED ALWAYS AS
        (from_addr <> '0x0000000000000000000000000000000000000000') STORED,
    PRIMARY KEY (chain_id, contract, block_number, log_index)
);
CREATE INDEX token_transfers_token_idx ON token_transfers (token_id);

-- Who holds each token now, as of the follower's cursor (the token id is the find id).
CREATE TABLE token_holders (
    chain_id     bigint NOT NULL,
    contract     text NOT NULL,
    token_id     bigint NOT NULL,
    owner        text NOT NULL,
    transfers    integer NOT NULL DEFAULT 0,
    block_number bigint NOT NULL,
    PRIMARY KEY (chain_id, contract, token_id)
);
CREATE INDEX token_holders_token_idx ON token_holders (token_id);

-- Where `geohunt chain deploy` found the chain: the follower starts there, not at block 0.
ALTER TABLE chain_deployments ADD COLUMN block_number bigint;

-- Rollups for the organisers' figures, kept by triggers in the transaction of each write, so a
-- figure is as current as the rows it counts and a hunt of a million scans is read in a few
-- thousand rows. Statement-level triggers with transition tables: one scan writes one row of
-- each, a bulk insert one grouped upsert; rows are upserted in key order so that concurrent
-- bulk writers cannot deadlock.
CREATE TABLE scan_counts (
    hunt_id  bigint NOT NULL,
    hour     timestamptz NOT NULL,
    -- 0 for an attempt that names no clue (its code did not get that far).
    clue_id  bigint NOT NULL,
    verdict  text NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (hunt_id, hour, clue_id, verdict)
);

-- Who ever scanned a collectible's clues, whatever the verdict: its unique hunters.
CREATE TABLE collectible_scanners (
    collectible_id bigint NOT NULL,
    hunter_id      bigint NOT NULL,
    PRIMARY KEY (collectible_id, hunter_id)
);

CREATE TABLE collectible_counts (
    collectible_id bigint PRIMARY KEY,
    scanners       bigint NOT NULL DEFAULT 0,
    minted         bigint NOT NULL DEFAULT 0
);

CREATE FUNCTION scan_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scan_counts AS s (hunt_id, hour, clue_id, verdict, n)
    SELECT hunt_id, date_trunc('hour', at, 'UTC'), COALESCE(clue_id, 0), verdict, count(*)
    FROM new_attempts WHERE hunt_id IS NOT NULL
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (hunt_id, hour, clue_id, verdict) DO UPDATE SET n = s.n + EXCLUDED.n;

    WITH fresh AS (
        INSERT INTO collectible_scanners (collectible_id, hunter_id)
        SELECT DISTINCT c.collectible_id, a.hunter_id
        FROM new_attempts a JOIN clues c ON c.id = a.clue_id
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING
        RETURNING collectible_id
    )
    INSERT INTO collectible_counts AS cc (collectible_id, scanners)
    SELECT collectible_id, count(*) FROM fresh GROUP BY 1 ORDER BY 1
    ON CONFLICT (collectible_id) DO UPDATE SET scanners = cc.scanners + EXCLUDED.scanners;
    RETURN NULL;
END $$;

CREATE TRIGGER scan_attempts_rollup AFTER INSERT ON scan_attempts
    REFERENCING NEW TABLE AS new_attempts FOR EACH STATEMENT EXECUTE FUNCTION scan_rollup();

-- A live `mint` event for each of these finds whose job is minted: the one definition of its
-- payload, for the batch trigger below and for 0004's trigger on jobs inserted as minted.
CREATE FUNCTION live_mint_events(p_find_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO live_events (hunt_id, kind, payload)
    SELECT f.hunt_id, 'mint', jsonb_build_object(
        'type', 'mint',
        'hunt', hu.slug,
        'find_id', f.id,
        'token_id', f.id,
        'hunter', jsonb_build_object(
            'hunter_id', h.id, 'name', live_name(h.handle, h.wallet, h.id)),
        'collectible', jsonb_build_object('key', c.key, 'name', c.name, 'episode', c.episode),
        'tx_hash', COALESCE(j.tx_hash, b.mined_hash),
        'contract', COALESCE(j.contract, b.contract),
        'chain_id', COALESCE(j.chain_id, b.chain_id),
        'minted_at', live_time(COALESCE(j.minted_at, j.updated_at)))
    FROM mint_jobs j
    JOIN finds f ON f.id = j.find_id
    JOIN hunts hu ON hu.id = f.hunt_id
    JOIN hunters h ON h.id = f.hunter_id
    JOIN collectibles c ON c.id = f.collectible_id
    LEFT JOIN mint_batches b ON b.id = j.batch_id
    WHERE j.find_id = ANY(p_find_ids) AND j.status = 'minted'
    ORDER BY j.find_id;
    IF FOUND THEN
        PERFORM live_wake();
    END IF;
END $$;

CREATE OR REPLACE FUNCTION live_mint_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM live_mint_events(ARRAY[NEW.find_id]);
    RETURN NULL;
END $$;

-- Jobs made `minted`: counted per collectible, and announced to live screens. One statement
-- settles a whole batch, so this runs once per batch rather than once per find (0004's row
-- trigger, replaced here, cost the worker about a quarter of its time). Settling writes the
-- status, transaction and contract in one statement, so nothing needs deferring to commit.
CREATE FUNCTION mint_jobs_minted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_minted bigint[];
BEGIN
    SELECT array_agg(n.find_id ORDER BY n.find_id) INTO v_minted
    FROM new_jobs n JOIN old_jobs o ON o.find_id = n.find_id
    WHERE n.status = 'minted' AND o.status <> 'minted';
    IF v_minted IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO collectible_counts AS cc (collectible_id, minted)
    SELECT f.collectible_id, count(*) FROM finds f WHERE f.id = ANY(v_minted)
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (collectible_id) DO UPDATE SET minted = cc.minted + EXCLUDED.minted;
    PERFORM live_mint_events(v_minted);
    RETURN NULL;
END $$;

DROP TRIGGER mint_jobs_live_update ON mint_jobs;
CREATE TRIGGER mint_jobs_minted AFTER UPDATE ON mint_jobs
    REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION mint_jobs_minted();

-- The first find of each collectible, read by an index probe per collectible.
CREATE INDEX finds_first_idx ON finds (collectible_id, found_at);
CREATE INDEX token_transfers_secondary_idx ON token_transfers (contract, token_id) WHERE secondary;

-- Figures for what happened before this migration: no write may slip between the backfill and
-- the triggers, so the tables they count are held still until it commits.
LOCK TABLE scan_attempts, mint_jobs IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO scan_counts (hunt_id, hour, clue_id, verdict, n)
SELECT hunt_id, date_trunc('hour', at, 'UTC'), COALESCE(clue_id, 0), verdict, count(*)
FROM scan_attempts WHERE hunt_id IS NOT NULL GROUP BY 1, 2, 3, 4;
INSERT INTO collectible_scanners (collectible_id, hunter_id)
SELECT DISTINCT c.collectible_id, a.hunter_id FROM scan_attempts a JOIN clues c ON c.id = a.clue_id;
INSERT INTO collectible_counts (collectible_id, scanners, minted)
SELECT c.id,
       (SELECT count(*) FROM collectible_scanners s WHERE s.collectible_id = c.id),
       (SELECT count(*) FROM mint_jobs j JOIN finds f ON f.id = j.find_id
        WHERE f.collectible_id = c.id AND j.status = 'minted')
FROM collectibles c;
