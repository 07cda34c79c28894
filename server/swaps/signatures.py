"""An offer's EIP-712 hashes and its signatures checked off chain, as the contract checks them:
eth_account's typed-data encoding gives OpenZeppelin's `_hashTypedDataV4` digest; an account's
signature must recover to its party (65 bytes, low s), and a contract wallet's must be accepted
by the wallet itself (ERC-1271, asked of the chain)."""

from __future__ import annotations

from eth_abi.abi import encode
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils.crypto import keccak

from hunt_engine.errors import BadSignature
from hunt_engine.swaps import Offer, account_signature, typed_data
from server.swaps.chain_view import ChainView

OFFER_TYPE = (
    "Offer(address maker,address taker,uint256 giveId,uint256 wantId,uint256 deadline,"
    "uint256 nonce)"
)
OFFER_TYPEHASH = keccak(text=OFFER_TYPE)


def offer_hash(offer: Offer) -> str:
    """The offer's struct hash (the contract's `hashOffer`), 0x-hex."""
    encoded = encode(
        ["bytes32", "address", "address", "uint256", "uint256", "uint256", "uint256"],
        [
            OFFER_TYPEHASH,
            offer.maker,
            offer.taker,
            offer.give_id,
            offer.want_id,
            offer.deadline,
            offer.nonce,
        ],
    )
    return "0x" + keccak(encoded).hex()


def signable(offer: Offer, chain_id: int, contract: str) -> SignableMessage:
    return encode_typed_data(full_message=typed_data(offer, chain_id, contract))


def digest_of(message: SignableMessage) -> bytes:
    """The EIP-191 digest a wallet signs (`0x19 0x01 domainSeparator structHash`, hashed)."""
    return keccak(b"\x19" + message.version + message.header + message.body)


async def checked(
    offer: Offer, chain_id: int, contract: str, party: str, raw: bytes, view: ChainView | None
) -> bytes:
    """`raw` as it will be relayed when it is `party`'s signature of the offer: an account's in
    its one canonical form, a contract wallet's as given. `BadSignature` otherwise."""
    message = signable(offer, chain_id, contract)
    refusal = "the signature is not the offer's, signed by " + party
    try:
        canonical = account_signature(raw)
    except BadSignature as err:
        canonical, refusal = None, str(err)
    if canonical is not None:
        try:
            signer = Account.recover_message(message, signature=canonical)
        except Exception:  # a point off the curve: no signer at all
            signer = ""
        if signer.lower() == party.lower():
            return canonical
    if view is not None and await view.accepts(party, digest_of(message), raw):
        return raw
    raise BadSignature(refusal)
