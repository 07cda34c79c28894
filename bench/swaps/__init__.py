"""`python -m bench.swaps`: swaps between fans on a local anvil, through the API and the worker,
beside a bare script sending the same `swap` calls in the same run; and the time from a taker's
signature to `completed` at a steady rate. Writes the "Swaps between fans" section of
BENCHMARKS.md.

One scratch stack (fresh database); pairs of fans (hunters with wallets whose keys the
benchmark holds, a token each: a find of the bench hunt). Each run gets a fresh anvil
(automine) with the contract and, as set-up before any clock starts, the run's tokens minted
to the fans' wallets by the minter key in batches, the offers made and signed by their makers
with the offer book's own statements (as `POST /v1/swaps` and the maker's signature leave
them: in bulk, where the API would take minutes of a shared machine), and an API server
(`python -m bench.server`) reading that chain. Then:

(a) with `geohunt worker` running, the takers post their signatures (signed beforehand, as
    `eth_signTypedData_v4` answers), `--clients` at once; clock from the first to the last
    swap `completed`;
(b) on another fresh anvil (the same deployer at the same nonce: the same contract address, so
    the same signed offers hold), the same tokens minted, the bare script sends the very same
    `swap(offer, makerSignature, takerSignature)` calls with its own nonces and the worker's
    number in flight, keeping its connections to the node as the worker does; clock until the
    last receipt;
(c) the takers' signatures at a steady rate; each swap's signature → `completed`, its stages
    from the database's timestamps.

Every swap is checked done once: `completed` as `GET /v1/swaps/{id}` shows it, the two tokens
each held by the other fan on chain, one `Swapped` event per offer naming the swap's
transaction, one ledger batch per swap, mined. Exit status 1 when any check fails (the harness
or the feature is broken, not the numbers); missed targets are reported, not failed.

`fans`: the fans and their tokens; `offers`: their open offers; `api`: the server and the
fans' requests; `bare`: (b); `verify`: the checks; `parties`: CPU by process; `run`: the
phases; `report`: the section.
"""

from bench.swaps.report import BEGIN, END

__all__ = ["BEGIN", "END"]
