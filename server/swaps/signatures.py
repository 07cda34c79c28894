"""An offer's EIP-712 hashes and its signatures checked off chain, as the contract checks them:
the digest is OpenZeppelin's `_hashTypedDataV4` of the one `Offer` struct, encoded by hand (the
struct never changes; eth_account's generic typed-data walk gives the same bytes at several
times the cost, the tests compare them); an account's signature must recover to its party (65
bytes, low s), and a contract wallet's must be accepted by the wallet itself (ERC-1271, asked
of the chain)."""

from __future__ import annotations

import functools

from coincurve import PublicKey
from eth_utils.crypto import keccak

from hunt_engine.errors import BadSignature
from hunt_engine.swaps import DOMAIN_NAME, DOMAIN_VERSION, Offer, account_signature
from server.swaps.chain_view import ChainView

OFFER_TYPE = (
    "Offer(address maker,address taker,uint256 giveId,uint256 wantId,uint256 deadline,"
    "uint256 nonce)"
)
OFFER_TYPEHASH = keccak(text=OFFER_TYPE)
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
DOMAIN_TYPEHASH = keccak(text=DOMAIN_TYPE)
# How many (chain, contract) domains to keep hashed: a server signs for one.
DOMAINS_KEPT = 16


def _word(value: int) -> bytes:
    """A uint256 as ABI encodes it: 32 bytes, big-endian (OverflowError outside 0..2^256-1)."""
    return value.to_bytes(32, "big")


def _address(address: str) -> bytes:
    """A 0x address as ABI encodes it: 20 bytes right-aligned in 32."""
    raw = bytes.fromhex(address.removeprefix("0x"))
    if len(raw) != 20:
        raise ValueError(f"not an address: {address!r}")
    return raw.rjust(32, b"\0")


def struct_hash(offer: Offer) -> bytes:
    """The offer's EIP-712 struct hash (the contract's `hashOffer`)."""
    return keccak(
        OFFER_TYPEHASH
        + _address(offer.maker)
        + _address(offer.taker)
        + _word(offer.give_id)
        + _word(offer.want_id)
        + _word(offer.deadline)
        + _word(offer.nonce)
    )


def offer_hash(offer: Offer) -> str:
    """The offer's struct hash (the contract's `hashOffer`), 0x-hex."""
    return "0x" + struct_hash(offer).hex()


@functools.lru_cache(maxsize=DOMAINS_KEPT)
def domain_separator(chain_id: int, contract: str) -> bytes:
    """The domain's hash: the same for every offer on this chain and contract."""
    return keccak(
        DOMAIN_TYPEHASH
        + keccak(text=DOMAIN_NAME)
        + keccak(text=DOMAIN_VERSION)
        + _word(chain_id)
        + _address(contract)
    )


def digest(offer: Offer, chain_id: int, contract: str) -> bytes:
    """The EIP-191 digest a wallet signs (`0x19 0x01 domainSeparator structHash`, hashed)."""
    return keccak(b"\x19\x01" + domain_separator(chain_id, contract.lower()) + struct_hash(offer))


def signer_of(digest: bytes, canonical: bytes) -> str | None:
    """The lower-case address whose key made `canonical` (65 bytes, v 27 or 28) over `digest`;
    None when it recovers to no key (r is no point's x)."""
    recoverable = canonical[:64] + bytes([canonical[64] - 27])
    try:
        public = PublicKey.from_signature_and_message(recoverable, digest, hasher=None)
    except ValueError:  # r is no point's x: no key signed this
        return None
    return "0x" + keccak(public.format(compressed=False)[1:])[-20:].hex()


async def checked(
    offer: Offer, chain_id: int, contract: str, party: str, raw: bytes, view: ChainView | None
) -> bytes:
    """`raw` as it will be relayed when it is `party`'s signature of the offer: an account's in
    its one canonical form, a contract wallet's as given. `BadSignature` otherwise."""
    signed = digest(offer, chain_id, contract)
    refusal = "the signature is not the offer's, signed by " + party
    try:
        canonical = account_signature(raw)
    except BadSignature as err:
        canonical, refusal = None, str(err)
    if canonical is not None and signer_of(signed, canonical) == party.lower():
        return canonical
    if view is not None and await view.accepts(party, signed, raw):
        return raw
    raise BadSignature(refusal)
