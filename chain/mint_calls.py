"""The contract's `mint` and `mintBatch` as the worker calls them: their calldata, and the gas
a batch is given."""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector

from chain.jobs import Job

# Measured on anvil: a mintBatch costs ~23k plus ~50.3k per token to a new holder (less to a
# holder that already has tokens).
GAS_PER_TOKEN = 60_000
GAS_BASE = 40_000
GAS_MARGIN = 1.25

MINT_SELECTOR = function_signature_to_4byte_selector("mint(address,uint256)")
MINT_BATCH_SELECTOR = function_signature_to_4byte_selector("mintBatch(address[],uint256[])")


def call_data(jobs: Sequence[Job]) -> bytes:
    """The calldata of mint (one job) or mintBatch, encoded directly: web3's contract encoder
    checksums and validates every address, and even eth_abi's encoder costs more than signing
    the transaction, so a batch's two arrays are laid out here (head: the two arrays'
    offsets; each array: its length, then one 32-byte word per item)."""
    if len(jobs) == 1:
        job = jobs[0]
        return MINT_SELECTOR + encode(
            ["address", "uint256"], [bytes.fromhex(job.wallet[2:]), job.token_id]
        )
    n = len(jobs)
    words = [_word(64), _word(64 + 32 * (n + 1)), _word(n)]
    words += [bytes(12) + bytes.fromhex(j.wallet[2:]) for j in jobs]
    words.append(_word(n))
    words += [_word(j.token_id) for j in jobs]
    return MINT_BATCH_SELECTOR + b"".join(words)


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")
