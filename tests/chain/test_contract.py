"""GeohuntCollectible: the committed artifact is what the source compiles to, and the deployed
contract mints, refuses and announces as the mint worker expects, on a real anvil."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import rlp
from eth_account import Account
from web3 import AsyncWeb3
from web3.contract import AsyncContract
from web3.logs import DISCARD
from web3.types import TxReceipt

from chain.anvil import DEV_ACCOUNTS, AnvilProcess
from chain.artifact import ARTIFACT_PATH, load_artifact
from chain.client import TransactionReverted, connect, send_transaction
from chain.deploy import deploy_collectible, grant_minter
from tests.support.chain import TEST_BASE_URI

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "chain" / "contracts" / "GeohuntCollectible.sol"
ZERO = "0x0000000000000000000000000000000000000000"
ADMIN_ROLE = b"\x00" * 32
HUNTERS = [address for address, _ in DEV_ACCOUNTS[5:9]]


def bind(w3: AsyncWeb3, address: str) -> AsyncContract:
    return w3.eth.contract(address=address, abi=load_artifact().abi)


async def transact(w3: AsyncWeb3, key: str, address: str, function: str, *args: Any) -> TxReceipt:
    data = bind(w3, address).encode_abi(function, args=list(args))
    return await send_transaction(w3, key, {"to": address, "data": data}, what=function)


def committed_artifact() -> dict[str, Any]:
    return json.loads(ARTIFACT_PATH.read_text())


def load_artifact_runtime_code() -> bytes:
    return bytes.fromhex(committed_artifact()["deployedBytecode"][2:])


def without_immutables(code: bytes) -> bytes:
    """Deployed code with the immutables the constructor wrote (EIP-712's cached domain) zeroed,
    as they are in the artifact's deployedBytecode."""
    masked = bytearray(code)
    for start, length in committed_artifact()["immutableRanges"]:
        masked[start : start + length] = bytes(length)
    return bytes(masked)


# -- the artifact ---------------------------------------------------------------------------


def test_committed_artifact_is_what_the_source_compiles_to() -> None:
    fresh = subprocess.run(
        ["node", str(REPO / "chain" / "compile.mjs"), "--stdout"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert fresh.returncode == 0, f"compile failed (run `npm ci` first?):\n{fresh.stderr}"
    compiled, committed = json.loads(fresh.stdout), committed_artifact()
    hint = "chain/artifacts is stale: run `npm run compile` and commit the artifact"
    assert compiled["abi"] == committed["abi"], hint
    assert compiled["bytecode"] == committed["bytecode"], hint
    assert compiled["deployedBytecode"] == committed["deployedBytecode"], hint
    assert fresh.stdout == ARTIFACT_PATH.read_text(), hint  # settings and formatting too


def test_artifact_names_the_source_it_was_built_from() -> None:
    committed = committed_artifact()
    assert committed["sourceSha256"] == hashlib.sha256(SOURCE.read_bytes()).hexdigest(), (
        "GeohuntCollectible.sol changed since the artifact was built: run `npm run compile`"
    )
    assert committed["compiler"]["settings"]["evmVersion"] == "cancun"
    assert committed["compiler"]["version"].startswith("0.8.37+")


def test_load_artifact_gives_abi_and_creation_code() -> None:
    artifact = load_artifact()
    names = {item.get("name") for item in artifact.abi}
    assert {"mint", "mintBatch", "setBaseURI", "MintBatchLengthMismatch"} <= names
    assert {"swap", "cancelOffer", "cancelAllOffers", "hashOffer", "Swapped"} <= names
    assert artifact.bytecode == committed_artifact()["bytecode"]
    assert 0x60 <= int(artifact.bytecode[2:4], 16) <= 0x7F  # it begins with a PUSH
    assert load_artifact() is artifact


# -- minting --------------------------------------------------------------------------------


async def test_mint_gives_the_token_its_owner_and_uri(
    w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> None:
    receipt = await transact(w3, minter_account[1], collectible, "mint", HUNTERS[0], 42)

    token = bind(w3, collectible)
    assert await token.functions.ownerOf(42).call() == HUNTERS[0]
    assert await token.functions.tokenURI(42).call() == f"{TEST_BASE_URI}42"
    assert await token.functions.balanceOf(HUNTERS[0]).call() == 1
    (transfer,) = token.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert (transfer.args["from"], transfer.args["to"], transfer.args["tokenId"]) == (
        ZERO,
        HUNTERS[0],
        42,
    )


async def test_mint_batch_emits_one_transfer_per_token(
    w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> None:
    recipients = [HUNTERS[0], HUNTERS[1], HUNTERS[2], HUNTERS[0]]
    ids = [10, 11, 2**256 - 1, 13]

    receipt = await transact(w3, minter_account[1], collectible, "mintBatch", recipients, ids)

    token = bind(w3, collectible)
    transfers = token.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert [(t.args["from"], t.args["to"], t.args["tokenId"]) for t in transfers] == [
        (ZERO, to, token_id) for to, token_id in zip(recipients, ids, strict=True)
    ]
    for to, token_id in zip(recipients, ids, strict=True):
        assert await token.functions.ownerOf(token_id).call() == to
    assert await token.functions.balanceOf(HUNTERS[0]).call() == 2


async def test_second_mint_of_a_token_id_reverts(
    w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> None:
    await transact(w3, minter_account[1], collectible, "mint", HUNTERS[0], 7)

    with pytest.raises(TransactionReverted) as refused:
        await transact(w3, minter_account[1], collectible, "mint", HUNTERS[1], 7)

    assert refused.value.error is not None
    assert (refused.value.error.name, refused.value.error.args) == ("ERC721InvalidSender", (ZERO,))
    assert await bind(w3, collectible).functions.ownerOf(7).call() == HUNTERS[0]


async def test_batch_with_an_already_minted_id_mints_nothing(
    w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> None:
    await transact(w3, minter_account[1], collectible, "mint", HUNTERS[0], 3)

    with pytest.raises(TransactionReverted) as refused:
        await transact(
            w3, minter_account[1], collectible, "mintBatch", [HUNTERS[1], HUNTERS[1]], [2, 3]
        )

    assert refused.value.error is not None and refused.value.error.name == "ERC721InvalidSender"
    assert await bind(w3, collectible).functions.balanceOf(HUNTERS[1]).call() == 0


async def test_mint_by_an_account_without_the_minter_role_reverts(
    w3: AsyncWeb3, collectible: str, deployer: tuple[str, str]
) -> None:
    token = bind(w3, collectible)
    minter_role = await token.functions.MINTER_ROLE().call()
    assert minter_role == AsyncWeb3.keccak(text="MINTER_ROLE")

    # Not even the admin mints: only MINTER_ROLE does.
    with pytest.raises(TransactionReverted) as refused:
        await transact(w3, deployer[1], collectible, "mint", HUNTERS[0], 1)

    assert refused.value.error is not None
    assert refused.value.error.name == "AccessControlUnauthorizedAccount"
    assert refused.value.error.args == (deployer[0].lower(), minter_role)


async def test_mint_batch_with_lengths_that_differ_reverts(
    w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> None:
    with pytest.raises(TransactionReverted) as refused:
        await transact(
            w3, minter_account[1], collectible, "mintBatch", [HUNTERS[0], HUNTERS[1]], [1]
        )

    assert refused.value.error is not None
    assert (refused.value.error.name, refused.value.error.args) == (
        "MintBatchLengthMismatch",
        (2, 1),
    )


async def test_empty_mint_batch_reverts(
    w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> None:
    with pytest.raises(TransactionReverted) as refused:
        await transact(w3, minter_account[1], collectible, "mintBatch", [], [])

    assert refused.value.error is not None and refused.value.error.name == "MintBatchEmpty"


async def test_safe_mint_refuses_a_contract_that_cannot_hold_tokens(
    w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> None:
    # The collectible itself is a contract without onERC721Received.
    with pytest.raises(TransactionReverted) as refused:
        await transact(w3, minter_account[1], collectible, "mint", collectible, 5)

    assert refused.value.error is not None
    assert (refused.value.error.name, refused.value.error.args) == (
        "ERC721InvalidReceiver",
        (collectible.lower(),),
    )


async def test_granted_minter_can_mint(
    w3: AsyncWeb3, collectible: str, deployer: tuple[str, str]
) -> None:
    second_address, second_key = DEV_ACCOUNTS[2]
    await grant_minter(w3, deployer[1], collectible, second_address)

    await transact(w3, second_key, collectible, "mint", HUNTERS[3], 99)

    assert await bind(w3, collectible).functions.ownerOf(99).call() == HUNTERS[3]


async def test_grant_minter_by_a_non_admin_reverts(
    w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> None:
    with pytest.raises(TransactionReverted) as refused:
        await grant_minter(w3, minter_account[1], collectible, DEV_ACCOUNTS[2][0])

    assert refused.value.error is not None
    assert refused.value.error.args == (minter_account[0].lower(), ADMIN_ROLE)


# -- metadata -------------------------------------------------------------------------------


async def test_admin_moves_every_token_uri_and_announces_it(
    w3: AsyncWeb3, collectible: str, deployer: tuple[str, str], minter_account: tuple[str, str]
) -> None:
    await transact(w3, minter_account[1], collectible, "mint", HUNTERS[0], 8)

    receipt = await transact(w3, deployer[1], collectible, "setBaseURI", "ipfs://moved/")

    token = bind(w3, collectible)
    assert await token.functions.tokenURI(8).call() == "ipfs://moved/8"
    (update,) = token.events.BatchMetadataUpdate().process_receipt(receipt, errors=DISCARD)
    assert (update.args["_fromTokenId"], update.args["_toTokenId"]) == (0, 2**256 - 1)


async def test_set_base_uri_by_anyone_but_the_admin_reverts(
    w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> None:
    await transact(w3, minter_account[1], collectible, "mint", HUNTERS[0], 8)

    with pytest.raises(TransactionReverted) as refused:
        await transact(w3, minter_account[1], collectible, "setBaseURI", "http://evil/")

    assert refused.value.error is not None
    assert (refused.value.error.name, refused.value.error.args) == (
        "AccessControlUnauthorizedAccount",
        (minter_account[0].lower(), ADMIN_ROLE),
    )
    assert await bind(w3, collectible).functions.tokenURI(8).call() == f"{TEST_BASE_URI}8"


async def test_token_uri_of_an_unminted_token_reverts(w3: AsyncWeb3, collectible: str) -> None:
    with pytest.raises(Exception, match="0x7e273289"):  # ERC721NonexistentToken(uint256)
        await bind(w3, collectible).functions.tokenURI(404).call()


@pytest.mark.parametrize(
    ("interface_id", "supported"),
    [
        ("0x01ffc9a7", True),  # ERC-165
        ("0x80ac58cd", True),  # ERC-721
        ("0x5b5e139f", True),  # ERC-721 metadata
        ("0x49064906", True),  # ERC-4906
        ("0x7965db0b", True),  # AccessControl
        ("0xffffffff", False),  # ERC-165 says never
        ("0xd9b67a26", False),  # ERC-1155
    ],
)
async def test_supports_interface(
    w3: AsyncWeb3, collectible: str, interface_id: str, supported: bool
) -> None:
    token = bind(w3, collectible)
    assert await token.functions.supportsInterface(bytes.fromhex(interface_id[2:])).call() is (
        supported
    )


# -- deployment -----------------------------------------------------------------------------


async def test_deploy_with_a_separate_admin(w3: AsyncWeb3, deployer: tuple[str, str]) -> None:
    admin_address, admin_key = DEV_ACCOUNTS[3]
    minter_address = DEV_ACCOUNTS[4][0]

    address = await deploy_collectible(
        w3,
        deployer[1],
        base_uri="https://x/",
        minter=minter_address,
        admin=admin_address,
        name="n",
        symbol="S",
    )

    token = bind(w3, address)
    assert address == AsyncWeb3.to_checksum_address(address)
    assert (await token.functions.name().call(), await token.functions.symbol().call()) == (
        "n",
        "S",
    )
    assert await token.functions.hasRole(ADMIN_ROLE, admin_address).call()
    assert not await token.functions.hasRole(ADMIN_ROLE, deployer[0]).call()
    minter_role = await token.functions.MINTER_ROLE().call()
    assert await token.functions.hasRole(minter_role, minter_address).call()
    await transact(w3, admin_key, address, "setBaseURI", "https://y/")


async def test_deploy_signs_locally_and_uses_the_next_nonce(
    w3: AsyncWeb3, deployer: tuple[str, str]
) -> None:
    # A fresh key the node does not hold: only a locally signed raw transaction can work.
    stranger = Account.create()
    funding = {"to": stranger.address, "value": 10**18}
    await send_transaction(w3, deployer[1], funding, what="funding")  # type: ignore[arg-type]

    address = await deploy_collectible(
        w3, stranger.key.to_0x_hex(), base_uri="https://x/", minter=stranger.address
    )

    assert await w3.eth.get_transaction_count(stranger.address) == 1
    (deployment,) = (await w3.eth.get_block("latest", full_transactions=True))["transactions"]
    assert (deployment["from"], deployment["to"], deployment["type"]) == (
        stranger.address,
        None,
        2,  # EIP-1559 fees
    )
    created = AsyncWeb3.keccak(rlp.encode([bytes.fromhex(stranger.address[2:]), 0]))[12:]
    assert address == AsyncWeb3.to_checksum_address(created)
    deployed = bytes(await w3.eth.get_code(address))
    assert without_immutables(deployed) == load_artifact_runtime_code()
    assert deployed != load_artifact_runtime_code()  # the domain is cached in the code


# -- a restarted node -----------------------------------------------------------------------


async def test_restart_with_state_keeps_contracts_tokens_balances_and_nonces(
    tmp_path: Path,
) -> None:
    deployer_address, deployer_key = DEV_ACCOUNTS[0]
    minter_address, minter_key = DEV_ACCOUNTS[1]
    with AnvilProcess(state_path=tmp_path / "state.json") as node:
        w3 = connect(node.url)
        try:
            address = await deploy_collectible(
                w3, deployer_key, base_uri=TEST_BASE_URI, minter=minter_address
            )
            await transact(w3, minter_key, address, "mint", HUNTERS[0], 1)
            before = (
                await w3.eth.get_balance(deployer_address),
                await w3.eth.get_transaction_count(minter_address),
                await w3.eth.block_number,
            )

            url = node.restart()

            assert url == node.url
            after = (
                await w3.eth.get_balance(deployer_address),
                await w3.eth.get_transaction_count(minter_address),
                await w3.eth.block_number,
            )
            assert after == before
            token = bind(w3, address)
            assert await token.functions.ownerOf(1).call() == HUNTERS[0]
            assert await token.functions.tokenURI(1).call() == f"{TEST_BASE_URI}1"

            # A crash (SIGKILL) loses what was mined since the last dump: here, token 2.
            await transact(w3, minter_key, address, "mint", HUNTERS[0], 2)
            node.kill()
            node.start()
            assert await token.functions.balanceOf(HUNTERS[0]).call() == 1
            assert await w3.eth.get_transaction_count(minter_address) == before[1]
        finally:
            await w3.provider.disconnect()


def test_decode_error_names_known_errors_only() -> None:
    artifact = load_artifact()
    mismatch = "0x" + AsyncWeb3.keccak(text="MintBatchLengthMismatch(uint256,uint256)")[:4].hex()
    data = mismatch + f"{2:064x}{1:064x}"

    decoded = artifact.decode_error(data)

    assert decoded is not None and str(decoded) == "MintBatchLengthMismatch(2, 1)"
    assert artifact.decode_error("0xdeadbeef") is None
    assert artifact.decode_error("0x") is None
    assert artifact.decode_error(None) is None
