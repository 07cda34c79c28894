"""`python -m bench.mint`: finds taken from queued to minted on a local anvil, beside a bare
script sending the same batched transactions straight to anvil, in one run; and the time from
find to minted at a steady rate. Writes the "Minting" section of BENCHMARKS.md.

Each run gets a fresh anvil (automine) with the contract, so the runs compare like with like:
(a) the worker (`geohunt worker`, its own process) drains a queue of N finds written by
claim_find, with one minting key and then with two (MINTER_PRIVATE_KEYS: one sender per key,
both claiming from the same queue), the ratio of the two taken round by round; (b) the bare
script signs N mints in batches of the same size, sends them with the same number in flight
and waits for the receipts, with no database at all; (c) finds are
written at a steady rate while the worker runs, and each find's found_at → minted_at is read
back from the database (one clock).

`chain`: a fresh anvil per run; `finds`: the hunt and its finds; `worker`: (a) and (c);
`bare`: (b); `report`: the section.
"""

from bench.mint.report import BEGIN, END

__all__ = ["BEGIN", "END"]
