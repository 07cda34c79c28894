-- Swaps between fans: the offer book. Two holders exchange tokens one for one in one chain
-- transaction (the collectible contract's `swap`), both signing the same EIP-712 offer; the
-- server relays it through the mint worker's outbox and pays the gas.
--
-- status: awaiting_maker_signature -> open (maker signed; the taker sees it) -> accepted (taker
-- signed: a job for the worker) -> submitted (its transaction signed and stored) -> completed |
-- failed (error: token_moved, expired, or the chain's reason); or cancelled (maker), declined
-- (taker), expired, or failed with token_moved before it was sent.
CREATE TABLE swaps (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The chain and contract of the offer's EIP-712 domain.
    chain_id            bigint NOT NULL,
    contract            text NOT NULL CHECK (contract ~ '^0x[0-9a-f]{40}$'),
    maker               text NOT NULL CHECK (maker ~ '^0x[0-9a-f]{40}$'),
    taker               text NOT NULL CHECK (taker ~ '^0x[0-9a-f]{40}$'),
    maker_hunter_id     bigint NOT NULL REFERENCES hunters,
    give_token_id       bigint NOT NULL CHECK (give_token_id > 0),
    want_token_id       bigint NOT NULL CHECK (want_token_id > 0),
    -- The collectibles of the two tokens when the offer was made (a token's collectible never
    -- changes): what the ratings count, `swaps_out` for give and `swaps_in` for want.
    give_collectible_id bigint NOT NULL REFERENCES collectibles ON DELETE CASCADE,
    want_collectible_id bigint NOT NULL REFERENCES collectibles ON DELETE CASCADE,
    -- Unix seconds, inclusive, exactly as signed (the chain compares block.timestamp with it).
    deadline_s          bigint NOT NULL CHECK (deadline_s > 0),
    -- The maker's counter on chain when the offer was made.
    nonce               numeric(78) NOT NULL CHECK (nonce >= 0),
    -- The offer's EIP-712 struct hash: its name on chain (`Swapped`, `offerState`).
    offer_hash          text NOT NULL CHECK (offer_hash ~ '^0x[0-9a-f]{64}$'),
    -- The block at which both holders were read: a transfer in a later block moved a token.
    created_block       bigint NOT NULL CHECK (created_block >= 0),
    maker_signature     bytea,
    taker_signature     bytea,
    status              text NOT NULL DEFAULT 'awaiting_maker_signature' CHECK (status IN (
        'awaiting_maker_signature', 'open', 'accepted', 'submitted', 'completed', 'failed',
        'cancelled', 'declined', 'expired')),
    error               text CHECK (error IS NULL OR char_length(error) BETWEEN 1 AND 500),
    tx_hash             text CHECK (tx_hash IS NULL OR tx_hash ~ '^0x[0-9a-f]{64}$'),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    accepted_at         timestamptz,
    settled_at          timestamptz,
    CHECK (maker <> taker),
    CHECK (give_token_id <> want_token_id),
    CHECK (status NOT IN ('open', 'accepted', 'submitted', 'completed')
           OR maker_signature IS NOT NULL),
    CHECK (status NOT IN ('accepted', 'submitted', 'completed')
           OR (taker_signature IS NOT NULL AND accepted_at IS NOT NULL)),
    CHECK ((status = 'failed') = (error IS NOT NULL))
);
-- One row per offer: the same offer made twice would be one offer on chain.
CREATE UNIQUE INDEX swaps_offer_idx ON swaps (chain_id, contract, offer_hash);
-- A fan's swaps, newest first: made, and received.
CREATE INDEX swaps_maker_idx ON swaps (maker, id);
CREATE INDEX swaps_taker_idx ON swaps (taker, id);
-- The follower closes unsent offers whose token moved; the deadline closes unsent offers.
CREATE INDEX swaps_give_idx ON swaps (give_token_id)
    WHERE status IN ('awaiting_maker_signature', 'open', 'accepted');
CREATE INDEX swaps_want_idx ON swaps (want_token_id)
    WHERE status IN ('awaiting_maker_signature', 'open', 'accepted');
CREATE INDEX swaps_deadline_idx ON swaps (deadline_s)
    WHERE status IN ('awaiting_maker_signature', 'open', 'accepted');
-- The worker's queue.
CREATE INDEX swaps_accepted_idx ON swaps (id) WHERE status = 'accepted';
-- The ratings: completed swaps per collectible.
CREATE INDEX swaps_completed_give_idx ON swaps (give_collectible_id) WHERE status = 'completed';
CREATE INDEX swaps_completed_want_idx ON swaps (want_collectible_id) WHERE status = 'completed';

-- A swap's transaction is a batch of the mint outbox's ledger like any mint: the same signer,
-- the same nonces, signed and stored before it is broadcast, replaced when stuck. A swap batch
-- names its swap (and the swap's two token ids in token_ids); at most one batch of a swap is
-- ever live, whatever signs it, so a swap is sent in one transaction or none.
ALTER TABLE mint_batches ADD COLUMN swap_id bigint REFERENCES swaps;
CREATE UNIQUE INDEX mint_batches_swap_idx ON mint_batches (swap_id)
    WHERE swap_id IS NOT NULL AND status <> 'dropped';

-- An accepted swap wakes the worker, as a queued mint does.
CREATE TRIGGER swaps_accepted AFTER INSERT OR UPDATE OF status ON swaps
    FOR EACH ROW WHEN (NEW.status = 'accepted') EXECUTE FUNCTION mint_jobs_notify();
