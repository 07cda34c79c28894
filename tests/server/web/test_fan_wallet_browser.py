"""The fan app's "Connect wallet", in a phone-sized Chromium against the real app, a minting
worker and anvil: a fan joins with a handle, claims a billboard where it stands (the find waits
for a wallet), connects a browser wallet (an EIP-6963 provider the test injects, signing with a
real key in the test), and the page shows the find minted without a reload; the token's owner on
chain is that wallet. In `geohunt demo`, the demo's public test wallet signs in the page itself.
Nothing is asked of another origin, and no script error or CSP violation happens."""

from __future__ import annotations

import dataclasses
from typing import Any

from eth_account import Account
from web3 import AsyncWeb3

from chain.anvil import DEV_ACCOUNTS
from infra.settings import Settings
from tests.support.api import Api, unique
from tests.support.browser import Phone, Tab, phone, screenshot, signed_in
from tests.support.builders import TIMES_SQUARE, make_hunt
from tests.support.fan_app import origin, serve_locally
from tests.support.minting import token, wait_until, worker_task
from tests.support.wallets import ANVIL_CHAIN_ID, InjectedWallet

UI_TIMEOUT_MS = 20_000  # a bound against hanging, never a measurement
MINT_TIMEOUT_MS = 60_000  # the same, for a find to go through the worker and the chain

# Two wallets as browser extensions inject them: each announces itself by EIP-6963 (at once, and
# whenever the page asks). "Test Wallet" hands every request to the test (`geohuntWallet`);
# "Other Wallet" is there to be passed over, and tells the test if it is ever asked anything.
PROVIDER = """
(() => {
  const icon = (fill) => "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'"
    + " viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8'"
    + ` fill='%23${fill}'/%3E%3C/svg%3E`;
  const wallet = (uuid, name, fill, forward) => Object.freeze({
    info: Object.freeze({ uuid, name, icon: icon(fill), rdns: `test.geohunt.${fill}` }),
    provider: { request: forward, on() {}, removeListener() {} },
  });
  const wallets = [
    wallet("5b0c1c0e-9f3e-4d8e-a1c5-0d7a2f6a9e11", "Test Wallet", "7cf0d8", async (asked) => {
      const { method, params } = asked;
      const answer = await window.geohuntWallet(method, params ?? []);
      if (answer.error) {
        const error = new Error(answer.error.message);
        error.code = answer.error.code;
        throw error;
      }
      return answer.result;
    }),
    wallet("0e3d2c1b-7a6f-4e5d-9c8b-1a2b3c4d5e6f", "Other Wallet", "ff8a8a", async ({ method }) => {
      await window.geohuntWallet(`other:${method}`, []);
      throw Object.assign(new Error("not this one"), { code: 4100 });
    }),
  ];
  const announce = () => {
    for (const detail of wallets) {
      window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
    }
  };
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
"""


async def _claim_at_the_billboard(api: Api, device: Phone, tab: Tab, name: str) -> int:
    """Join with a handle on a billboard's code page and claim it there: the find's id."""
    hunt = await make_hunt(api)
    key = await hunt.collectible(name=name, episode="3")
    billboard = await hunt.clue(collectible=key, label="Times Square screen wall")
    page = tab.page
    await page.goto(f"{origin(api)}/c/{hunt.code(billboard)}")
    await page.get_by_role("textbox", name="Handle").fill(unique("fan")[:20].replace("-", "_"))
    await page.get_by_role("button", name="Join").click()
    await page.get_by_role("button", name="Claim", disabled=False).click(timeout=UI_TIMEOUT_MS)
    await page.get_by_role("status").filter(has_text="You found").wait_for(timeout=UI_TIMEOUT_MS)
    _, finds = await api.call("GET", "/v1/me/finds", 200, headers=await signed_in(device))
    [find] = finds
    assert find["mint"] == {"status": "awaiting_wallet"}
    return int(find["id"])


async def test_connect_a_wallet_and_the_waiting_find_is_minted_to_it(
    local_mint_api: Api, w3: AsyncWeb3
) -> None:
    api = local_mint_api
    assert api.settings.contract_address
    wallet = InjectedWallet(Account.create(), decline_next_signature=True)
    async with (
        worker_task(api.settings),
        phone(origin(api), at=TIMES_SQUARE) as device,
    ):
        tab = await device.tab()
        page = tab.page
        await page.expose_function("geohuntWallet", wallet.request)
        await page.add_init_script(PROVIDER)
        find_id = await _claim_at_the_billboard(api, device, tab, "Jibaro's Siren")
        mint = page.locator(".mint-line")
        await mint.filter(has_text="awaiting wallet").wait_for(timeout=UI_TIMEOUT_MS)
        connect = page.get_by_role("button", name="Connect wallet")
        await connect.wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "fan-wallet-awaiting")

        # Two wallets in this browser: the fan picks one, then declines the signature in it;
        # nothing is linked, and the page says so.
        await connect.click()
        choose = page.get_by_role("group", name="Choose a wallet")
        await choose.get_by_role("button", name="Other Wallet").wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "fan-wallet-choose")
        await choose.get_by_role("button", name="Test Wallet").click()
        declined = page.get_by_text("you declined in Test Wallet")
        await declined.wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "fan-wallet-declined")
        me = await signed_in(device)
        _, who = await api.call("GET", "/v1/me", 200, headers=me)
        assert who["wallet"] is None

        # Then signs: the wallet is linked, the find is minted, and the page follows it there.
        await connect.click()
        await choose.get_by_role("button", name="Test Wallet").click(timeout=UI_TIMEOUT_MS)
        await mint.filter(has_text="Minted to your wallet").wait_for(timeout=MINT_TIMEOUT_MS)
        link = mint.get_by_role("link", name="See the token")
        assert await link.get_attribute("href") == f"/v1/tokens/{find_id}"
        assert await page.get_by_role("button", name="Connect wallet").count() == 0
        await screenshot(tab, "fan-wallet-minted")

        assert wallet.asked.count("personal_sign") == 2
        assert not [method for method in wallet.asked if method.startswith("other:")]
        [message] = wallet.signed
        lines = message.split("\n")
        host = origin(api).removeprefix("http://")
        assert lines[0] == f"{host} wants you to sign in with your Ethereum account:"
        assert lines[1] == wallet.account.address  # EIP-55, though the wallet answered lower case
        assert f"URI: {origin(api)}" in lines and f"Chain ID: {ANVIL_CHAIN_ID}" in lines

        me = await signed_in(device)  # the token from the sign-in, of the same hunter
        _, who = await api.call("GET", "/v1/me", 200, headers=me)
        assert who["wallet"] == wallet.account.address.lower()
        owner = await token(w3, api.settings.contract_address).functions.ownerOf(find_id).call()
        assert owner == wallet.account.address

        # The account card names the wallet, and offers no second one.
        await page.get_by_role("link", name="geohunt home").click()
        card = page.get_by_role("region", name="Your account")
        short = f"{wallet.account.address[:6]}…{wallet.account.address[-4:]}".lower()
        await card.get_by_text(f"wallet {short}").wait_for(timeout=UI_TIMEOUT_MS)
        assert await card.get_by_role("button", name="Connect wallet").count() == 0
        await screenshot(tab, "fan-wallet-home")
    assert device.foreign_requests() == []
    assert device.errors() == []


async def test_the_demo_test_wallet_signs_in_the_page_from_the_account_card(
    mint_settings: Settings, aiohttp_client: Any, w3: AsyncWeb3
) -> None:
    # mint_settings first: its database must outlive the app, which is closed before it.
    demo_address, demo_key = DEV_ACCOUNTS[8]  # a public anvil key, as `geohunt demo` hands out
    api = await serve_locally(
        aiohttp_client, dataclasses.replace(mint_settings, demo_wallet_key=demo_key)
    )
    contract = api.settings.contract_address
    assert contract
    async with (
        worker_task(api.settings),
        phone(origin(api), at=TIMES_SQUARE) as device,
    ):
        tab = await device.tab()
        page = tab.page
        find_id = await _claim_at_the_billboard(api, device, tab, "Zima Blue")
        await page.get_by_role("link", name="geohunt home").click()
        card = page.get_by_role("region", name="Your account")
        demo = card.get_by_role("button", name="Use the demo test wallet")
        await demo.wait_for(timeout=UI_TIMEOUT_MS)
        hint = await card.locator(".demo-wallet").inner_text()
        assert "public test key" in hint and "never hold anything of value" in hint, hint
        await screenshot(tab, "fan-wallet-account-card")

        # No wallet in this browser: the page says how to get one, and that finds wait.
        await card.get_by_role("button", name="Connect wallet").click()
        await card.get_by_text("No wallet in this browser.").wait_for(timeout=UI_TIMEOUT_MS)
        assert "Your finds wait safely" in await card.locator(".wallet-note").inner_text()
        await screenshot(tab, "fan-wallet-none")

        await demo.click()
        short = f"{demo_address[:6]}…{demo_address[-4:]}".lower()
        # The note "Wallet … linked" shows first; the card then redraws naming the wallet in its
        # summary line, without the wallet controls.
        await demo.wait_for(state="detached", timeout=UI_TIMEOUT_MS)
        await card.locator("p.muted").get_by_text(f"wallet {short}").wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "fan-wallet-demo-linked")
        me = await signed_in(device)
        _, who = await api.call("GET", "/v1/me", 200, headers=me)
        assert who["wallet"] == demo_address.lower()

        async def minted() -> bool:
            _, finds = await api.call("GET", "/v1/me/finds", 200, headers=me)
            return bool(finds[0]["mint"]["status"] == "minted")

        await wait_until(minted, MINT_TIMEOUT_MS / 1000, "the find minted")
        owner = await token(w3, contract).functions.ownerOf(find_id).call()
        assert owner == demo_address
    assert device.foreign_requests() == []
    assert device.errors() == []
