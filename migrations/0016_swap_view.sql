-- A swap as the API shows it: the offer's columns and, for each of its two tokens, the hunt,
-- key and name of its collectible. The reads of a swap select from it instead of each writing
-- out the same columns and four joins.
--
-- A plain view of joins, with no aggregate, DISTINCT, LIMIT or ORDER BY, so that PostgreSQL
-- inlines it into the statement that reads it: a filter on its id, maker or taker reaches the
-- swaps table's own indexes, and the plan is the one the joins written out would get.
--
-- The statements that change a swap and answer with it in one round trip (a signature, a
-- deadline passing) join their UPDATE's RETURNING rows instead: every part of a statement
-- reads the tables as they were before it, so this view would show the row before the change.
CREATE VIEW swaps_shown AS
SELECT s.id, s.status, s.chain_id, s.contract, s.maker, s.taker, s.give_token_id,
    s.want_token_id, s.deadline_s, s.nonce, s.offer_hash, s.maker_signature, s.taker_signature,
    s.error, s.tx_hash, s.created_at, s.updated_at,
    gh.slug AS give_hunt, gc.key AS give_key, gc.name AS give_name,
    wh.slug AS want_hunt, wc.key AS want_key, wc.name AS want_name
FROM swaps s
JOIN collectibles gc ON gc.id = s.give_collectible_id
JOIN hunts gh ON gh.id = gc.hunt_id
JOIN collectibles wc ON wc.id = s.want_collectible_id
JOIN hunts wh ON wh.id = wc.hunt_id;
