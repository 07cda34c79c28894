"""Swaps in GeohuntCollectible on a real anvil: one transaction moves both tokens, relayed by
anyone; the offer is spent by its struct hash; expired, cancelled (one, or all by the counter),
wrongly signed, malleated and stale offers are refused; a contract wallet (ERC-1271) can be a
party; a receiver that calls back in finds the offer spent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from web3 import AsyncWeb3
from web3.logs import DISCARD

from chain.client import TransactionReverted, send_transaction
from hunt_engine.swaps import Offer, typed_data
from tests.support.swaps import (
    call,
    compact,
    deploy_mock_wallet,
    high_s,
    mock_wallet,
    offer_args,
    sign_offer,
    token_contract,
)

GIVE, WANT = 101, 202
CHAIN_ID = 31337


class Party:
    def __init__(self) -> None:
        self.account = Account.create()
        self.address = self.account.address
        self.key = self.account.key.to_0x_hex()


@pytest.fixture
async def parties(
    w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> tuple[Party, Party]:
    """A maker holding GIVE and a taker holding WANT, both without gas of their own."""
    maker, taker = Party(), Party()
    await call(w3, minter_account[1], collectible, "mint", maker.address, GIVE)
    await call(w3, minter_account[1], collectible, "mint", taker.address, WANT)
    return maker, taker


async def fund(w3: AsyncWeb3, deployer: tuple[str, str], address: str) -> None:
    await send_transaction(
        w3,
        deployer[1],
        {"to": address, "value": 10**18},  # type: ignore[typeddict-item]
        what="funding",
    )


async def deadline_in(w3: AsyncWeb3, seconds: int) -> int:
    return int((await w3.eth.get_block("latest"))["timestamp"]) + seconds


def offer_of(maker: str, taker: str, deadline: int, **changes: Any) -> Offer:
    """GIVE of `maker` for WANT of `taker` under the counter 0, unless `changes` say otherwise."""
    fields = {
        "maker": maker.lower(),
        "taker": taker.lower(),
        "give_id": GIVE,
        "want_id": WANT,
        "deadline": deadline,
        "nonce": 0,
    }
    return Offer(**(fields | changes))


async def relay(
    w3: AsyncWeb3, relayer_key: str, contract: str, offer: Offer, maker_sig: bytes, taker_sig: bytes
) -> Any:
    return await call(w3, relayer_key, contract, "swap", offer_args(offer), maker_sig, taker_sig)


async def refused(relaying: Any) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(TransactionReverted) as caught:
        await relaying
    assert caught.value.error is not None, caught.value
    return caught.value.error.name, caught.value.error.args


Signed = tuple[Offer, bytes, bytes]


@pytest.fixture
async def signed(
    w3: AsyncWeb3, collectible: str, parties: tuple[Party, Party]
) -> Callable[..., Any]:
    async def make(**changes: Any) -> Signed:
        maker, taker = parties
        deadline = changes.pop("deadline", None) or await deadline_in(w3, 3600)
        offer = offer_of(maker.address, taker.address, deadline, **changes)
        return (
            offer,
            sign_offer(offer, CHAIN_ID, collectible, maker.key),
            sign_offer(offer, CHAIN_ID, collectible, taker.key),
        )

    return make


# -- the swap -------------------------------------------------------------------------------


async def test_swap_moves_both_tokens_in_one_transaction_relayed_by_anyone(
    w3: AsyncWeb3,
    collectible: str,
    parties: tuple[Party, Party],
    signed: Callable[..., Any],
    deployer: tuple[str, str],
    record_property: Callable[[str, object], None],
) -> None:
    maker, taker = parties
    offer, maker_sig, taker_sig = await signed()
    token = token_contract(w3, collectible)
    offer_hash = await token.functions.hashOffer(offer_args(offer)).call()

    receipt = await relay(w3, deployer[1], collectible, offer, maker_sig, taker_sig)

    assert await token.functions.ownerOf(GIVE).call() == taker.address
    assert await token.functions.ownerOf(WANT).call() == maker.address
    transfers = token.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert [(t.args["from"], t.args["to"], t.args["tokenId"]) for t in transfers] == [
        (maker.address, taker.address, GIVE),
        (taker.address, maker.address, WANT),
    ]
    (swapped,) = token.events.Swapped().process_receipt(receipt, errors=DISCARD)
    assert swapped.args["offerHash"] == offer_hash
    assert (swapped.args["maker"], swapped.args["taker"]) == (maker.address, taker.address)
    assert (swapped.args["giveId"], swapped.args["wantId"]) == (GIVE, WANT)
    assert await token.functions.offerState(offer_hash).call() == 1  # Used
    # The relayer paid; neither fan needed gas. What a swap costs, for the record:
    assert await w3.eth.get_balance(maker.address) == 0
    record_property("swap_gas", receipt["gasUsed"])
    print(f"swap gas: {receipt['gasUsed']}")
    assert receipt["gasUsed"] < 150_000


async def test_the_digest_signed_is_eth_accounts_typed_data_hash(
    w3: AsyncWeb3, collectible: str, parties: tuple[Party, Party]
) -> None:
    maker, taker = parties
    offer = offer_of(maker.address, taker.address, 2**40, give_id=2**62 + 5, nonce=7)
    document = typed_data(offer, CHAIN_ID, collectible)

    on_chain = await token_contract(w3, collectible).functions.offerDigest(offer_args(offer)).call()

    assert on_chain == _hash_eip191_message(encode_typed_data(full_message=document))
    domain = await token_contract(w3, collectible).functions.eip712Domain().call()
    assert tuple(domain[1:5]) == ("geohunt", "1", CHAIN_ID, collectible)


async def test_the_same_offer_twice_is_refused(
    w3: AsyncWeb3, collectible: str, signed: Callable[..., Any], deployer: tuple[str, str]
) -> None:
    offer, maker_sig, taker_sig = await signed()
    await relay(w3, deployer[1], collectible, offer, maker_sig, taker_sig)
    offer_hash = await token_contract(w3, collectible).functions.hashOffer(offer_args(offer)).call()

    name, args = await refused(relay(w3, deployer[1], collectible, offer, maker_sig, taker_sig))

    assert (name, args) == ("OfferUsed", (offer_hash,))


async def test_an_expired_offer_is_refused(
    w3: AsyncWeb3, collectible: str, signed: Callable[..., Any], deployer: tuple[str, str]
) -> None:
    past = await deadline_in(w3, -1)
    offer, maker_sig, taker_sig = await signed(deadline=past)

    name, args = await refused(relay(w3, deployer[1], collectible, offer, maker_sig, taker_sig))

    assert (name, args) == ("OfferExpired", (past,))


async def test_a_cancelled_offer_is_refused_and_only_its_maker_cancels(
    w3: AsyncWeb3,
    collectible: str,
    parties: tuple[Party, Party],
    signed: Callable[..., Any],
    deployer: tuple[str, str],
) -> None:
    maker, taker = parties
    offer, maker_sig, taker_sig = await signed()
    await fund(w3, deployer, maker.address)
    await fund(w3, deployer, taker.address)
    token = token_contract(w3, collectible)
    offer_hash = await token.functions.hashOffer(offer_args(offer)).call()

    assert await refused(call(w3, taker.key, collectible, "cancelOffer", offer_args(offer))) == (
        "NotOfferMaker",
        (taker.address.lower(),),
    )
    receipt = await call(w3, maker.key, collectible, "cancelOffer", offer_args(offer))

    (cancelled,) = token.events.OfferCancelled().process_receipt(receipt, errors=DISCARD)
    assert cancelled.args["offerHash"] == offer_hash
    assert await token.functions.offerState(offer_hash).call() == 2  # Cancelled
    name, args = await refused(relay(w3, deployer[1], collectible, offer, maker_sig, taker_sig))
    assert (name, args) == ("OfferIsCancelled", (offer_hash,))
    assert await token.functions.ownerOf(GIVE).call() == maker.address


async def test_raising_the_counter_voids_every_earlier_offer(
    w3: AsyncWeb3,
    collectible: str,
    parties: tuple[Party, Party],
    signed: Callable[..., Any],
    deployer: tuple[str, str],
) -> None:
    maker, _ = parties
    first = await signed()
    second = await signed(deadline=await deadline_in(w3, 7200))
    await fund(w3, deployer, maker.address)
    token = token_contract(w3, collectible)

    receipt = await call(w3, maker.key, collectible, "cancelAllOffers")

    (raised,) = token.events.NonceRaised().process_receipt(receipt, errors=DISCARD)
    assert (raised.args["maker"], raised.args["nonce"]) == (maker.address, 1)
    assert await token.functions.nonces(maker.address).call() == 1
    for offer, maker_sig, taker_sig in (first, second):
        assert await refused(relay(w3, deployer[1], collectible, offer, maker_sig, taker_sig)) == (
            "OfferNonceStale",
            (0, 1),
        )
    # An offer made under the new counter goes through.
    offer, maker_sig, taker_sig = await signed(nonce=1)
    await relay(w3, deployer[1], collectible, offer, maker_sig, taker_sig)
    assert await token.functions.ownerOf(GIVE).call() != maker.address


# -- who signed -----------------------------------------------------------------------------


async def test_a_signature_by_anyone_but_the_maker_is_refused(
    w3: AsyncWeb3,
    collectible: str,
    parties: tuple[Party, Party],
    signed: Callable[..., Any],
    deployer: tuple[str, str],
) -> None:
    maker, _ = parties
    offer, _, taker_sig = await signed()
    stranger = Party()

    forged = sign_offer(offer, CHAIN_ID, collectible, stranger.key)

    name, args = await refused(relay(w3, deployer[1], collectible, offer, forged, taker_sig))
    assert (name, args) == ("BadSignature", (maker.address.lower(),))


async def test_an_offer_signed_by_a_non_holder_is_refused(
    w3: AsyncWeb3,
    collectible: str,
    parties: tuple[Party, Party],
    deployer: tuple[str, str],
) -> None:
    _, taker = parties
    stranger = Party()  # signs as maker of a token it does not hold
    offer = offer_of(stranger.address, taker.address, await deadline_in(w3, 600))

    name, args = await refused(
        relay(
            w3,
            deployer[1],
            collectible,
            offer,
            sign_offer(offer, CHAIN_ID, collectible, stranger.key),
            sign_offer(offer, CHAIN_ID, collectible, taker.key),
        )
    )

    assert name == "TokenNotHeld"
    assert args[:2] == (GIVE, stranger.address.lower())


async def test_a_token_moved_after_signing_is_refused(
    w3: AsyncWeb3,
    collectible: str,
    parties: tuple[Party, Party],
    signed: Callable[..., Any],
    deployer: tuple[str, str],
) -> None:
    maker, _ = parties
    offer, maker_sig, taker_sig = await signed()
    await fund(w3, deployer, maker.address)
    elsewhere = Account.create().address
    await call(w3, maker.key, collectible, "transferFrom", maker.address, elsewhere, GIVE)

    name, args = await refused(relay(w3, deployer[1], collectible, offer, maker_sig, taker_sig))

    assert (name, args) == ("TokenNotHeld", (GIVE, maker.address.lower(), elsewhere.lower()))


async def test_maker_and_taker_swapped_are_refused(
    w3: AsyncWeb3,
    collectible: str,
    parties: tuple[Party, Party],
    signed: Callable[..., Any],
    deployer: tuple[str, str],
) -> None:
    maker, taker = parties
    offer, maker_sig, taker_sig = await signed()
    # The signatures in each other's place, then the parties in each other's place.
    assert await refused(relay(w3, deployer[1], collectible, offer, taker_sig, maker_sig)) == (
        "BadSignature",
        (maker.address.lower(),),
    )
    turned = offer_of(taker.address, maker.address, offer.deadline, give_id=WANT, want_id=GIVE)
    assert await refused(relay(w3, deployer[1], collectible, turned, maker_sig, taker_sig)) == (
        "BadSignature",
        (taker.address.lower(),),
    )


@pytest.mark.parametrize("malleate", [high_s, compact], ids=["high-s", "compact"])
async def test_a_malleated_signature_is_refused(
    w3: AsyncWeb3,
    collectible: str,
    parties: tuple[Party, Party],
    signed: Callable[..., Any],
    deployer: tuple[str, str],
    malleate: Callable[[bytes], bytes],
) -> None:
    maker, _ = parties
    offer, maker_sig, taker_sig = await signed()

    name, args = await refused(
        relay(w3, deployer[1], collectible, offer, malleate(maker_sig), taker_sig)
    )

    assert (name, args) == ("BadSignature", (maker.address.lower(),))
    # The offer is not spent by the refusal: the proper signature still goes through.
    await relay(w3, deployer[1], collectible, offer, maker_sig, taker_sig)


@pytest.mark.parametrize(
    "changes", [{"want_id": GIVE}, {"taker": "maker"}], ids=["one-token", "one-party"]
)
async def test_an_offer_naming_one_token_or_one_party_is_malformed(
    w3: AsyncWeb3,
    collectible: str,
    parties: tuple[Party, Party],
    deployer: tuple[str, str],
    changes: dict[str, Any],
) -> None:
    maker, taker = parties
    taker_address = maker.address if changes.pop("taker", None) == "maker" else taker.address
    offer = offer_of(maker.address, taker_address, await deadline_in(w3, 600), **changes)
    maker_sig = sign_offer(offer, CHAIN_ID, collectible, maker.key)

    name, _ = await refused(relay(w3, deployer[1], collectible, offer, maker_sig, maker_sig))

    assert name == "OfferMalformed"


# -- contract wallets, and receivers that call back in -----------------------------------


async def test_a_contract_wallet_can_be_a_party_by_erc1271(
    w3: AsyncWeb3,
    collectible: str,
    parties: tuple[Party, Party],
    deployer: tuple[str, str],
    minter_account: tuple[str, str],
) -> None:
    maker, _ = parties
    owner = Party()
    wallet = await deploy_mock_wallet(w3, deployer[1], owner.address)
    await call(w3, minter_account[1], collectible, "mint", wallet, 303)
    offer = offer_of(maker.address, wallet, await deadline_in(w3, 600), want_id=303)
    maker_sig = sign_offer(offer, CHAIN_ID, collectible, maker.key)

    # Signed by someone who does not own the wallet: refused by the wallet itself.
    not_owner = sign_offer(offer, CHAIN_ID, collectible, Party().key)
    assert await refused(relay(w3, deployer[1], collectible, offer, maker_sig, not_owner)) == (
        "BadSignature",
        (wallet.lower(),),
    )
    await relay(
        w3,
        deployer[1],
        collectible,
        offer,
        maker_sig,
        sign_offer(offer, CHAIN_ID, collectible, owner.key),
    )

    token = token_contract(w3, collectible)
    assert await token.functions.ownerOf(GIVE).call() == wallet
    assert await token.functions.ownerOf(303).call() == maker.address


async def test_a_receiver_calling_back_in_finds_the_offer_spent(
    w3: AsyncWeb3,
    collectible: str,
    parties: tuple[Party, Party],
    deployer: tuple[str, str],
    minter_account: tuple[str, str],
) -> None:
    """The contract marks the offer used before it moves a token: a hostile wallet that relays
    the same offer again from its onERC721Received is refused (OfferUsed), and the swap it sits
    in still completes once, both tokens moved."""
    maker, _ = parties
    owner = Party()
    wallet = await deploy_mock_wallet(w3, deployer[1], owner.address)
    await call(w3, minter_account[1], collectible, "mint", wallet, 404)
    offer = offer_of(maker.address, wallet, await deadline_in(w3, 600), want_id=404)
    maker_sig = sign_offer(offer, CHAIN_ID, collectible, maker.key)
    taker_sig = sign_offer(offer, CHAIN_ID, collectible, owner.key)
    token = token_contract(w3, collectible)
    replay = token.encode_abi("swap", args=[offer_args(offer), maker_sig, taker_sig])
    hostile = mock_wallet(w3, wallet)
    arm = hostile.encode_abi("arm", args=[collectible, replay])
    await send_transaction(w3, deployer[1], {"to": wallet, "data": arm}, what="arm")

    receipt = await relay(w3, deployer[1], collectible, offer, maker_sig, taker_sig)

    assert await hostile.functions.called().call()
    assert not await hostile.functions.callSucceeded().call()
    offer_hash = await token.functions.hashOffer(offer_args(offer)).call()
    used = AsyncWeb3.keccak(text="OfferUsed(bytes32)")[:4] + offer_hash
    assert await hostile.functions.callResult().call() == used
    swaps = token.events.Swapped().process_receipt(receipt, errors=DISCARD)
    assert len(swaps) == 1
    assert await token.functions.ownerOf(GIVE).call() == wallet
    assert await token.functions.ownerOf(404).call() == maker.address
