"""The collectible contract as the mint worker uses it: sign locally, send raw, read back.

Every call that can fail because the node is away raises `ChainUnavailable`, so the worker can
tell "try again later" from an answer (chain/client.py); the mints' calldata and gas are in
chain/mint_calls.py, as the swaps' are in chain/swap_calls.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import AsyncWeb3
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.types import BlockIdentifier, RPCEndpoint

from chain.artifact import load_artifact
from chain.client import Rejected, rpc
from chain.jobs import Batch, Job, Refused, SignedTx, SwapJob
from chain.mint_calls import GAS_BASE, GAS_MARGIN, GAS_PER_TOKEN, call_data
from chain.swap_calls import (
    SWAP_GAS_ALLOWANCE,
    SWAPPED_TOPIC,
    refusal,
    refusal_in,
    swap_call_data,
)

MINTER_ROLE = AsyncWeb3.keccak(text="MINTER_ROLE")
TRANSFER_TOPIC = AsyncWeb3.keccak(text="Transfer(address,address,uint256)").to_0x_hex()


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block: int
    ok: bool


def data_of(batch: Batch) -> bytes:
    return swap_call_data(batch.swap) if batch.swap is not None else call_data(batch.jobs)


class Minter:
    def __init__(self, w3: AsyncWeb3[Any], contract: str, private_key: str) -> None:
        self.w3 = w3
        self.account: LocalAccount = Account.from_key(private_key)
        self.address = self.account.address
        self.contract_address = to_checksum_address(contract)
        self.contract = w3.eth.contract(address=self.contract_address, abi=load_artifact().abi)
        self.chain_id = 0

    async def connect(self) -> int:
        """Read the chain id and check that the contract is deployed there and lets this key
        mint; raise ChainUnavailable when the node is away, RuntimeError when misconfigured."""
        self.chain_id = int(await rpc(self.w3.eth.chain_id))
        code = await rpc(self.w3.eth.get_code(self.contract_address))
        if not code:
            raise RuntimeError(f"no contract at {self.contract_address} on chain {self.chain_id}")
        allowed = await rpc(self.contract.functions.hasRole(MINTER_ROLE, self.address).call())
        if not allowed:
            raise RuntimeError(f"{self.address} lacks MINTER_ROLE on {self.contract_address}")
        return self.chain_id

    async def nonce(self, block: Literal["latest", "pending"] = "latest") -> int:
        # Raw: the receipt loop asks it every few milliseconds while batches are in flight.
        answer = await self._raw("eth_getTransactionCount", [self.address, block])
        if "error" in answer:
            raise Rejected(str(answer["error"]))
        return int(answer["result"], 16)

    async def _raw(self, method: str, params: list[Any]) -> dict[str, Any]:
        """The node's whole answer to one request (`result` or `error`), unformatted."""
        answer = await rpc(self.w3.provider.make_request(RPCEndpoint(method), params))
        return dict(answer)

    async def balance(self) -> int:
        return int(await rpc(self.w3.eth.get_balance(self.address)))

    async def block_number(self) -> int:
        return int(await rpc(self.w3.eth.block_number))

    async def base_fee(self) -> int:
        block = await rpc(self.w3.eth.get_block("latest"))
        return int(block.get("baseFeePerGas") or 0)

    def _call(self, jobs: Sequence[Job]) -> tuple[str, list[Any]]:
        wallets = [to_checksum_address(j.wallet) for j in jobs]
        ids = [j.token_id for j in jobs]
        if len(jobs) == 1:
            return "mint", [wallets[0], ids[0]]
        return "mintBatch", [wallets, ids]

    async def gas_for(self, jobs: Sequence[Job]) -> int:
        """A batch gets a fixed allowance per token: an estimate would make the node run the
        whole batch once more before it is mined. A job on its own (a retry after a revert,
        perhaps to a contract wallet that does work on receipt) gets the node's estimate; if
        even that reverts, the allowance, so that the revert is settled from the chain."""
        allowance = GAS_BASE + GAS_PER_TOKEN * len(jobs)
        if len(jobs) > 1:
            return allowance
        name, args = self._call(jobs)
        function = self.contract.get_function_by_name(name)(*args)
        try:
            estimate = await rpc(function.estimate_gas({"from": self.address}))
        except (ContractLogicError, Web3RPCError):
            return allowance
        return max(int(estimate * GAS_MARGIN), allowance)

    def sign(
        self,
        jobs: Sequence[Job],
        *,
        nonce: int,
        gas: int,
        max_fee_per_gas: int,
        max_priority_fee_per_gas: int,
    ) -> SignedTx:
        return self.sign_data(
            call_data(jobs),
            nonce=nonce,
            gas=gas,
            max_fee_per_gas=max_fee_per_gas,
            max_priority_fee_per_gas=max_priority_fee_per_gas,
        )

    def sign_data(
        self,
        data: bytes,
        *,
        nonce: int,
        gas: int,
        max_fee_per_gas: int,
        max_priority_fee_per_gas: int,
    ) -> SignedTx:
        tx = {
            "type": 2,
            "chainId": self.chain_id,
            "from": self.address,
            "to": self.contract_address,
            "nonce": nonce,
            "gas": gas,
            "maxFeePerGas": max_fee_per_gas,
            "maxPriorityFeePerGas": max_priority_fee_per_gas,
            "value": 0,
            "data": data,
        }
        signed = self.account.sign_transaction(tx)
        return SignedTx(
            hash=signed.hash.to_0x_hex(),
            raw=bytes(signed.raw_transaction),
            max_fee_per_gas=max_fee_per_gas,
            max_priority_fee_per_gas=max_priority_fee_per_gas,
        )

    async def simulate_swap(self, job: SwapJob) -> Refused | None:
        """The contract's refusal if the swap would revert now with its gas allowance, else
        None. An `eth_call` runs the swap once, where `eth_estimateGas` runs it until it has
        bracketed the gas (twice the node's time here): the allowance is fixed, so a swap
        that would need more (a contract wallet's costly checks) is refused as out of gas
        before anything is signed, never sent to fail. Asked raw, as receipts are: web3's
        formatting of the request and answer costs four times the round trip itself."""
        tx = {
            "from": self.address,
            "to": self.contract_address,
            "data": "0x" + swap_call_data(job).hex(),
            "gas": hex(SWAP_GAS_ALLOWANCE),
        }
        answer = await self._raw("eth_call", [tx, "latest"])
        error = answer.get("error")
        if error is None:
            return None
        named = refusal_in(error) if isinstance(error, dict) else None
        if named is None:
            raise Rejected(str(error))
        return Refused(named)

    async def gas_of(self, batch: Batch) -> int:
        """A replacement's gas: the same work's (a swap's fixed allowance)."""
        if batch.swap is None:
            return await self.gas_for(batch.jobs)
        return SWAP_GAS_ALLOWANCE

    async def why_reverted(self, data: bytes, block: int) -> str | None:
        """The contract's refusal of `data` run again on the state after `block`."""
        tx = {"from": self.address, "to": self.contract_address, "data": data}
        try:
            await rpc(self.w3.eth.call(tx, block))  # type: ignore[arg-type]
        except ContractLogicError as exc:
            return refusal(exc)
        return None

    async def offer_used(self, offer_hash: str) -> bool:
        state = await rpc(self.contract.functions.offerState(bytes.fromhex(offer_hash[2:])).call())
        return int(state) == 1

    async def swapped_tx(self, offer_hash: str) -> str | None:
        """The transaction whose `Swapped` names this offer (there is at most one)."""
        try:
            logs = await rpc(
                self.w3.eth.get_logs(
                    {
                        "address": self.contract_address,
                        "fromBlock": 0,
                        "toBlock": "latest",
                        "topics": [SWAPPED_TOPIC, offer_hash],
                    }
                )
            )
        except Web3RPCError:
            return None
        return logs[0]["transactionHash"].to_0x_hex() if logs else None

    async def block_time(self, block: BlockIdentifier) -> int:
        return int((await rpc(self.w3.eth.get_block(block)))["timestamp"])

    async def send(self, raw: bytes) -> None:
        """Broadcast (raw, as receipts are read); an 'already known' answer counts as sent."""
        answer = await self._raw("eth_sendRawTransaction", ["0x" + raw.hex()])
        if "error" in answer:
            rejected = Rejected(str(answer["error"]))
            if not rejected.already_known:
                raise rejected

    async def send_all(self, raws: Sequence[bytes]) -> list[Rejected | None]:
        """Broadcast several in one JSON-RPC batch (one round trip, in the order given), each
        with the node's refusal or None ('already known' counts as sent). A node that takes no
        batches is sent them one by one."""
        if len(raws) < 2:
            return [await self._refusal_of(raw) for raw in raws]
        requests = [(RPCEndpoint("eth_sendRawTransaction"), ["0x" + raw.hex()]) for raw in raws]
        answers = await rpc(self.w3.provider.make_batch_request(requests))
        if not isinstance(answers, list) or len(answers) != len(raws):
            return [await self._refusal_of(raw) for raw in raws]
        refusals: list[Rejected | None] = []
        for answer in answers:
            rejected = Rejected(str(answer["error"])) if "error" in answer else None
            refusals.append(None if rejected is None or rejected.already_known else rejected)
        return refusals

    async def _refusal_of(self, raw: bytes) -> Rejected | None:
        try:
            await self.send(raw)
        except Rejected as rejected:
            return rejected
        return None

    async def receipt(self, tx_hash: str) -> Receipt | None:
        # The raw answer: web3's formatting of a receipt with a hundred logs costs more than
        # the round trip, and only two fields matter here.
        answer = await self._raw("eth_getTransactionReceipt", [tx_hash])
        if "error" in answer:
            raise Rejected(str(answer["error"]))
        found = answer.get("result")
        if not found or found.get("blockNumber") is None:
            return None
        return Receipt(tx_hash, int(found["blockNumber"], 16), int(found["status"], 16) == 1)

    async def owner_of(self, token_id: int) -> str | None:
        try:
            owner = await rpc(self.contract.functions.ownerOf(token_id).call())
        except ContractLogicError:
            return None  # ERC721NonexistentToken: not minted
        return str(owner).lower()

    async def mint_tx_of(self, token_id: int) -> str | None:
        """The hash of the transaction that minted `token_id` (its Transfer from 0x0)."""
        try:
            logs = await rpc(
                self.w3.eth.get_logs(
                    {
                        "address": self.contract_address,
                        "fromBlock": 0,
                        "toBlock": "latest",
                        "topics": [
                            TRANSFER_TOPIC,
                            "0x" + "00" * 32,
                            None,
                            "0x" + token_id.to_bytes(32, "big").hex(),
                        ],
                    }
                )
            )
        except Web3RPCError:
            return None  # nodes limit log ranges; the hash is a nicety, ownership is the fact
        return logs[0]["transactionHash"].to_0x_hex() if logs else None
