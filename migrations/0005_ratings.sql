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

-- The stats queries read one hunt's rows at a time.
CREATE INDEX scan_attempts_hunt_idx ON scan_attempts (hunt_id, at);
CREATE INDEX finds_hunt_idx ON finds (hunt_id, collectible_id);
