-- Settlement's trigger made cheap: the worker settles every batch mined since its last look in
-- one UPDATE of mint_jobs, whose statement trigger then adds the minted counts and writes each
-- find's live `mint` event. It used to collect the minted ids into an array and have
-- live_mint_events read those jobs back (and their batches) from the tables; the statement's
-- own new rows already hold what the event says, so it now reads them there, in one statement
-- with the counts, and an UPDATE that mints nothing (a claim) stops at the first look.
-- live_mint_events stays for the INSERT trigger (a job inserted already minted).
CREATE OR REPLACE FUNCTION mint_jobs_minted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_jobs WHERE status = 'minted') THEN
        RETURN NULL;
    END IF;
    WITH minted AS (
        SELECT n.find_id, n.batch_id, n.tx_hash, n.contract, n.chain_id,
            COALESCE(n.minted_at, n.updated_at) AS minted_at,
            f.hunt_id, f.hunter_id, f.collectible_id
        FROM new_jobs n
        JOIN old_jobs o ON o.find_id = n.find_id
        JOIN finds f ON f.id = n.find_id
        WHERE n.status = 'minted' AND o.status <> 'minted'
    ), counted AS (
        INSERT INTO collectible_counts AS cc (collectible_id, minted)
        SELECT collectible_id, count(*) FROM minted GROUP BY 1 ORDER BY 1
        ON CONFLICT (collectible_id) DO UPDATE SET minted = cc.minted + EXCLUDED.minted
    )
    INSERT INTO live_events (hunt_id, kind, payload)
    SELECT m.hunt_id, 'mint', jsonb_build_object(
        'type', 'mint',
        'hunt', hu.slug,
        'find_id', m.find_id,
        'token_id', m.find_id,
        'hunter', jsonb_build_object(
            'hunter_id', h.id, 'name', live_name(h.handle, h.wallet, h.id)),
        'collectible', jsonb_build_object('key', c.key, 'name', c.name, 'episode', c.episode),
        'tx_hash', COALESCE(m.tx_hash, b.mined_hash),
        'contract', COALESCE(m.contract, b.contract),
        'chain_id', COALESCE(m.chain_id, b.chain_id),
        'minted_at', live_time(m.minted_at))
    FROM minted m
    JOIN hunts hu ON hu.id = m.hunt_id
    JOIN hunters h ON h.id = m.hunter_id
    JOIN collectibles c ON c.id = m.collectible_id
    LEFT JOIN mint_batches b ON b.id = m.batch_id
    ORDER BY m.find_id;
    IF FOUND THEN
        PERFORM live_wake();
    END IF;
    RETURN NULL;
END $$;
