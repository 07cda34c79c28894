"""What the offer book asks the chain: which contract and chain an offer names, who holds the two
tokens and the maker's counter (read at one block), and whether a contract wallet accepts a
signature (ERC-1271). A node that does not answer is `ChainAway` (503, try again)."""

from __future__ import annotations

import asyncio
import functools
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils.address import to_checksum_address
from web3 import AsyncWeb3
from web3.exceptions import ContractLogicError, Web3Exception

from chain.artifact import load_artifact
from chain.client import ChainUnavailable, rpc
from chain.deployments import contract_address
from hunt_engine.swaps import ChainAway

if TYPE_CHECKING:
    from server.bootstrap.services import Services

ERC1271_MAGIC = bytes.fromhex("1626ba7e")
ERC1271_ABI = [
    {
        "name": "isValidSignature",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "hash", "type": "bytes32"}, {"name": "signature", "type": "bytes"}],
        "outputs": [{"name": "", "type": "bytes4"}],
    }
]

# The chain id of each client, asked once: it never changes under a running node.
_chain_ids: weakref.WeakKeyDictionary[AsyncWeb3[Any], int] = weakref.WeakKeyDictionary()
# A server has one client and one contract; tests make a few. Bounded, since each view holds
# its client.
VIEWS_KEPT = 8


@dataclass(frozen=True, slots=True)
class Holders:
    """The two tokens' holders and the maker's counter, all as of `block`."""

    block: int
    give_owner: str | None  # lower-case; None when the token does not exist
    want_owner: str | None
    nonce: int


class ChainView:
    def __init__(self, w3: AsyncWeb3[Any], chain_id: int, contract: str) -> None:
        self.w3 = w3
        self.chain_id = chain_id
        self.contract = contract.lower()
        self._token = w3.eth.contract(
            address=to_checksum_address(contract), abi=load_artifact().abi
        )

    @classmethod
    async def of(cls, services: Services) -> ChainView:
        w3 = services.chain
        if w3 is None:
            raise ChainAway("swaps need the chain, and CHAIN_RPC_URL is not set")
        try:
            chain_id = _chain_ids.get(w3)
            if chain_id is None:
                chain_id = _chain_ids[w3] = int(await rpc(w3.eth.chain_id))
            address = await contract_address(services.settings, services.pool, w3)
        except (ChainUnavailable, Web3Exception) as err:
            raise ChainAway(f"the chain did not answer: {err}") from None
        if address is None:
            raise ChainAway("no collectible contract is deployed on this chain yet")
        return _view(w3, chain_id, address)

    async def holders(self, give_id: int, want_id: int, maker: str) -> Holders:
        try:
            block = int(await rpc(self.w3.eth.block_number))
            give, want, nonce = await asyncio.gather(
                self._owner(give_id, block),
                self._owner(want_id, block),
                rpc(
                    self._token.functions.nonces(to_checksum_address(maker)).call(
                        block_identifier=block
                    )
                ),
            )
        except (ChainUnavailable, Web3Exception) as err:
            raise ChainAway(f"the chain did not answer: {err}") from None
        return Holders(block, give, want, int(nonce))

    async def _owner(self, token_id: int, block: int) -> str | None:
        try:
            owner = await rpc(self._token.functions.ownerOf(token_id).call(block_identifier=block))
        except ContractLogicError:
            return None  # ERC721NonexistentToken
        return str(owner).lower()

    async def accepts(self, wallet: str, digest: bytes, signature: bytes) -> bool:
        """Whether `wallet` is a contract that accepts `signature` of `digest` (ERC-1271)."""
        address = to_checksum_address(wallet)
        try:
            if not await rpc(self.w3.eth.get_code(address)):
                return False
            checker = self.w3.eth.contract(address=address, abi=ERC1271_ABI)
            magic = await rpc(checker.functions.isValidSignature(digest, signature).call())
        except ContractLogicError:
            return False  # a wallet that reverts says no
        except (ChainUnavailable, Web3Exception) as err:
            raise ChainAway(f"the chain did not answer: {err}") from None
        return bytes(magic) == ERC1271_MAGIC


@functools.lru_cache(maxsize=VIEWS_KEPT)
def _view(w3: AsyncWeb3[Any], chain_id: int, address: str) -> ChainView:
    """One view per client, chain and contract: web3 builds a contract object from the whole ABI
    (about 3 ms of CPU), most of what a signature cost the server when made per request."""
    return ChainView(w3, chain_id, address)
