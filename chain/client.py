"""Talking to an EVM node: a web3 client, the node's two kinds of failure (no answer, or an
error for the request), and sending transactions signed here.

Transactions are signed locally with eth_account and sent raw: production nodes hold no keys,
so `eth_sendTransaction` is never used.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from eth_account import Account
from hexbytes import HexBytes
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3._utils.http_session_manager import HTTPSessionManager
from web3.exceptions import ContractLogicError
from web3.types import TxParams, TxReceipt

from chain.artifact import DecodedError, load_artifact


class ChainUnavailable(RuntimeError):
    """The node did not answer; nothing is known about the request's effect."""


class Rejected(RuntimeError):
    """The node answered with an error for this request."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message.lower()

    @property
    def nonce_too_low(self) -> bool:
        return "nonce too low" in self.message or "nonce has already been used" in self.message

    @property
    def already_known(self) -> bool:
        return "already known" in self.message or "already imported" in self.message

    @property
    def underpriced(self) -> bool:
        return "underpriced" in self.message


_NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError, ConnectionError)


async def rpc(awaitable: Any) -> Any:
    """The answer of one JSON-RPC call; ChainUnavailable when the node did not answer."""
    try:
        return await awaitable
    except _NETWORK_ERRORS as err:
        raise ChainUnavailable(f"{type(err).__name__}: {err}") from None


class TransactionReverted(RuntimeError):
    """A transaction was refused by the contract, in simulation or on chain."""

    def __init__(
        self,
        message: str,
        *,
        error: DecodedError | None = None,
        tx_hash: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error = error
        self.tx_hash = tx_hash


def connect(url: str, *, timeout_s: float = 10.0) -> AsyncWeb3[Any]:
    """An AsyncWeb3[Any] on `url` whose requests give up after `timeout_s`; no network call here."""
    provider = AsyncHTTPProvider(
        url, request_kwargs={"timeout": aiohttp.ClientTimeout(total=timeout_s)}
    )
    return AsyncWeb3(provider)


# Idle connections closed by us before a node or its proxy would (geth: 120 s, common load
# balancers: 60 s), so a reused connection is not one the other end already dropped.
KEEPALIVE_S = 15.0


async def keep_connections(w3: AsyncWeb3[Any]) -> None:
    """Have `w3` reuse its HTTP connections to the node from now on (in this event loop).
    web3's own session closes each connection after one request: a TCP connection set up and
    torn down for each of the several requests a relayed swap takes, a tenth of the worker's
    CPU under load, and the node's too. Closed by `w3.provider.disconnect()`."""
    provider = w3.provider
    if not isinstance(provider, AsyncHTTPProvider):
        return
    if len(provider._request_session_manager.session_cache):
        return  # a request was made already: its session stays
    session = aiohttp.ClientSession(
        raise_for_status=True, connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S)
    )
    provider._request_session_manager = _KeptSession(session)


class _KeptSession(HTTPSessionManager):
    """web3's session manager with one session for good. web3's own looks its session up
    under a `threading.Lock` taken through `run_in_executor` on every request: a hop to a
    thread and back, which on a busy machine waits for the GIL's switch interval (5 ms) as
    often as not, and was a fifth of the worker's CPU relaying swaps. (A private interface of
    web3 7, which pyproject.toml bounds; tests/chain/test_client.py checks that no request
    goes through web3's thread pool.)"""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        super().__init__()
        self._session = session
        self.session_cache.cache("kept", session)  # what `provider.disconnect()` closes

    async def async_cache_and_return_session(
        self,
        endpoint_uri: Any,
        session: aiohttp.ClientSession | None = None,
        request_timeout: aiohttp.ClientTimeout | None = None,
    ) -> aiohttp.ClientSession:
        return self._session


async def wait_receipt(w3: AsyncWeb3[Any], tx_hash: Any, timeout_s: float = 30.0) -> TxReceipt:
    """The receipt of `tx_hash`, polled every 50 ms; web3's TimeExhausted after `timeout_s`."""
    return await w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout_s, poll_latency=0.05)


async def eip1559_fees(w3: AsyncWeb3[Any]) -> dict[str, int]:
    """maxFeePerGas covers the base fee doubling (six full blocks) plus the node's tip."""
    latest = await w3.eth.get_block("latest")
    tip = await w3.eth.max_priority_fee
    base = int(latest.get("baseFeePerGas", 0))
    return {"maxPriorityFeePerGas": int(tip), "maxFeePerGas": 2 * base + int(tip)}


def reverted(exc: ContractLogicError, what: str) -> TransactionReverted:
    """A TransactionReverted naming the contract's custom error when the revert data has one."""
    error = load_artifact().decode_error(exc.data if isinstance(exc.data, str) else None)
    reason = str(error) if error else (exc.message or str(exc))
    return TransactionReverted(f"{what} reverted: {reason}", error=error)


async def send_transaction(
    w3: AsyncWeb3[Any], private_key: str, tx: TxParams, *, what: str, timeout_s: float = 30.0
) -> TxReceipt:
    """Fills from, nonce, fees and gas (estimated, so a revert is caught before paying), signs
    with `private_key`, sends raw and waits for a successful receipt."""
    account = Account.from_key(private_key)
    filled: dict[str, Any] = dict(tx)
    filled["from"] = account.address
    filled.setdefault("chainId", await w3.eth.chain_id)
    filled.setdefault("nonce", await w3.eth.get_transaction_count(account.address, "pending"))
    if "gasPrice" not in filled and "maxFeePerGas" not in filled:
        filled.update(await eip1559_fees(w3))
    if "gas" not in filled:
        try:
            filled["gas"] = await w3.eth.estimate_gas(filled)  # type: ignore[arg-type]
        except ContractLogicError as exc:
            raise reverted(exc, what) from exc
    signed = account.sign_transaction(filled)
    tx_hash = await w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = await wait_receipt(w3, tx_hash, timeout_s)
    if receipt["status"] != 1:
        raise TransactionReverted(
            f"{what} reverted on chain (tx {HexBytes(tx_hash).to_0x_hex()})",
            tx_hash=HexBytes(tx_hash).to_0x_hex(),
        )
    return receipt
