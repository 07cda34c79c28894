"""Passkeys in the fan app, in a phone-sized Chromium (Debian's, headless, driven by Playwright)
with Chromium's virtual authenticators (a phone's platform authenticator: CTAP2, internal,
resident keys, user verification), against the real app on PostgreSQL and Redis, served at
http://localhost:PORT (a passkey's relying party must be a host name).

A fan joins with a handle, claims a find and adds a passkey; a second phone (a context of its own:
no storage shared) holding the same passkey, as a synced passkey would be, signs the same hunter
in and shows the find in its Collection, then adds a passkey of its own once the synced one is
gone from it. That phone has no WebAuthn JSON helpers (as Safari before 17.4): the page converts
by hand. Each refusal is a sentence on the page: a device that already holds a passkey for the
account, no network, a prompt that found no passkey, a passkey the server does not know, a spent
challenge, a browser without WebAuthn. Nothing is asked of another origin and no script error or
CSP violation happens. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from tests.support.api import Api, unique
from tests.support.browser import Phone, Tab, screenshot, signed_in
from tests.support.browser import phone as a_phone
from tests.support.builders import TIMES_SQUARE, at, make_hunt, post_scan
from tests.support.fan_app import origin

UI_TIMEOUT_MS = 20_000  # a bound against hanging, never a measurement
PLATFORM_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}
# A browser whose WebAuthn has no JSON helpers (Safari before 17.4, Firefox before 119).
NO_JSON_HELPERS = """
delete PublicKeyCredential.parseCreationOptionsFromJSON;
delete PublicKeyCredential.parseRequestOptionsFromJSON;
delete PublicKeyCredential.prototype.toJSON;
"""
NO_WEBAUTHN = "delete window.PublicKeyCredential;"


@dataclass
class Authenticator:
    """A virtual authenticator of one tab (Chromium's WebAuthn domain over CDP)."""

    cdp: Any
    id: str

    async def credentials(self) -> list[dict[str, Any]]:
        answer = await self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})
        return list(answer["credentials"])

    async def add(self, credential: dict[str, Any]) -> None:
        await self.cdp.send(
            "WebAuthn.addCredential", {"authenticatorId": self.id, "credential": credential}
        )

    async def remove(self, credential_id: str) -> None:
        await self.cdp.send(
            "WebAuthn.removeCredential", {"authenticatorId": self.id, "credentialId": credential_id}
        )


async def authenticator(tab: Tab) -> Authenticator:
    cdp = await tab.page.context.new_cdp_session(tab.page)
    await cdp.send("WebAuthn.enable", {"enableUI": False})
    answer = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": PLATFORM_AUTHENTICATOR})
    return Authenticator(cdp, answer["authenticatorId"])


def synced(credential: dict[str, Any]) -> dict[str, Any]:
    """The credential as another device it syncs to holds it (CDP's fields for addCredential)."""
    fields = ("credentialId", "isResidentCredential", "rpId", "privateKey", "userHandle")
    return {name: credential[name] for name in fields} | {"signCount": credential["signCount"]}


def unknown_passkey(rp_id: str) -> dict[str, Any]:
    """A discoverable credential for this site that was never registered with the server."""
    key = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    return {
        "credentialId": base64.b64encode(secrets.token_bytes(32)).decode(),
        "isResidentCredential": True,
        "rpId": rp_id,
        "privateKey": base64.b64encode(pkcs8).decode(),
        "userHandle": base64.b64encode(secrets.token_bytes(32)).decode(),
        "signCount": 0,
    }


def note(tab: Tab, text: str) -> Any:
    """The passkey line that says `text`."""
    return tab.page.locator(".passkey-note").filter(has_text=text)


async def hunter_of(api: Api, device: Phone) -> int:
    _, me = await api.call("GET", "/v1/me", 200, headers=await signed_in(device))
    return int(me["hunter_id"])


async def top(tab: Tab) -> None:
    """Scrolled back to the page's title, so that a full-page screenshot has the sticky header
    in its place."""
    await tab.page.get_by_role("heading", level=1).scroll_into_view_if_needed()


async def test_a_passkey_brings_the_account_and_its_finds_to_another_phone(
    local_api: Api,
) -> None:
    api = local_api
    hunt = await make_hunt(api)
    siren = await hunt.collectible(name="Jibaro's Siren", episode="9")
    billboard = await hunt.clue(collectible=siren, label="Times Square wall", city="New York")
    base = origin(api)
    handle = unique("pk")[:20].replace("-", "_")
    async with a_phone(base) as first:
        # The first phone: join, claim a find (through the API, with the page's own account).
        tab = await first.tab()
        page = tab.page
        platform = await authenticator(tab)
        await page.goto(f"{base}/")
        await page.get_by_role("textbox", name="Handle").fill(handle)
        await page.get_by_role("button", name="Join").click()
        await page.get_by_role("heading", name=f"Hi {handle}").wait_for(timeout=UI_TIMEOUT_MS)
        me = await signed_in(first)
        await post_scan(api, me, hunt.code(billboard), 201, **at(TIMES_SQUARE))
        hunter_id = await hunter_of(api, first)
        await page.reload()
        await page.get_by_text("Score 1 · 1 find").wait_for(timeout=UI_TIMEOUT_MS)

        # "Add a passkey": the phone's authenticator makes a discoverable credential for this
        # site, the server keeps it, and the page says what it is good for.
        add = page.get_by_role("button", name="Add a passkey")
        await add.click()
        await note(tab, "Passkey added").wait_for(timeout=UI_TIMEOUT_MS)
        text = await note(tab, "Passkey added").inner_text()
        assert "sign in with it on any device it syncs to" in text, text
        [kept] = await platform.credentials()
        assert kept["isResidentCredential"] and kept["rpId"] == "localhost"
        await top(tab)
        await screenshot(tab, "fan-passkey-added")

        # Again on the same phone: its authenticator holds the passkey already (the server
        # excludes it), said as such; the button stays for another device.
        await add.click()
        already = note(tab, "already has a passkey for your account")
        await already.wait_for(timeout=UI_TIMEOUT_MS)
        assert len(await platform.credentials()) == 1
        assert await add.is_enabled()
        await top(tab)
        await screenshot(tab, "fan-passkey-already-on-this-phone")

        # The second phone: no storage shared with the first, no WebAuthn JSON helpers, and the
        # first phone's passkey, synced to it.
        second = await first.fresh_context()
        await second.context.add_init_script(NO_JSON_HELPERS)
        new = await second.tab()
        page2 = new.page
        synced_store = await authenticator(new)
        await synced_store.add(synced(kept))
        await page2.goto(f"{base}/")
        sign_in2 = page2.get_by_role("button", name="Sign in with a passkey")
        await sign_in2.wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(new, "fan-passkey-sign-in")

        await sign_in2.click()
        await page2.get_by_role("heading", name=f"Hi {handle}").wait_for(timeout=UI_TIMEOUT_MS)
        assert await hunter_of(api, second) == hunter_id
        await note(new, "Signed in with your passkey").wait_for(timeout=UI_TIMEOUT_MS)
        assert await page2.get_by_role("banner").get_by_text(handle).is_visible()
        await top(new)
        await screenshot(new, "fan-passkey-signed-in")

        await page2.get_by_role("link", name="Collection").click()
        await page2.get_by_role("article", name="Jibaro's Siren").wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(new, "fan-passkey-collection")

        # On this phone the synced passkey is excluded too; once removed from its password
        # manager, the fan adds a new one (converted by hand) and signs in with it.
        await page2.get_by_role("link", name="Hunt", exact=True).click()
        add2 = page2.get_by_role("button", name="Add a passkey")
        await add2.click()
        await note(new, "already has a passkey for your account").wait_for(timeout=UI_TIMEOUT_MS)
        await synced_store.remove(kept["credentialId"])
        await add2.click()
        await note(new, "Passkey added").wait_for(timeout=UI_TIMEOUT_MS)
        [made] = await synced_store.credentials()
        assert made["credentialId"] != kept["credentialId"]
        await page2.get_by_role("button", name="Sign out on this phone").click()
        await sign_in2.click()
        await page2.get_by_role("heading", name=f"Hi {handle}").wait_for(timeout=UI_TIMEOUT_MS)
        assert await hunter_of(api, second) == hunter_id

        for device in (first, second):
            assert device.foreign_requests() == []
            assert device.errors() == []


async def test_what_a_passkey_sign_in_is_refused_for_is_said_on_the_page(local_api: Api) -> None:
    api = local_api
    hunt = await make_hunt(api)
    siren = await hunt.collectible(name="Jibaro's Siren", episode="9")
    billboard = await hunt.clue(collectible=siren, label="Times Square wall", city="New York")
    base = origin(api)
    async with a_phone(base) as device:
        # A phone opened on a printed code (its join form offers the passkey too): with no
        # network, with no passkey, with one the server does not know (never registered), with
        # options whose challenge was spent (a page left open too long): nothing changes, each
        # said in a sentence, and the fan can still join with a handle.
        tab = await device.tab()
        page = tab.page
        store = await authenticator(tab)
        await page.goto(f"{base}/c/{hunt.code(billboard)}")
        sign_in = page.get_by_role("button", name="Sign in with a passkey")
        await sign_in.wait_for(timeout=UI_TIMEOUT_MS)
        assert await page.get_by_role("button", name="Claim").is_disabled()

        await device.context.set_offline(True)
        await sign_in.click()
        await note(tab, "No network").wait_for(timeout=UI_TIMEOUT_MS)
        await device.context.set_offline(False)

        await sign_in.click()
        await note(tab, "Nothing changed").wait_for(timeout=UI_TIMEOUT_MS)
        assert "cancelled or timed out" in await note(tab, "Nothing changed").inner_text()

        await store.add(unknown_passkey("localhost"))
        async with page.expect_response(f"{base}/v1/auth/passkeys/options") as issued:
            await sign_in.click()
        spent = await (await issued.value).json()  # its challenge is taken by this attempt
        await note(tab, "This passkey is not known here").wait_for(timeout=UI_TIMEOUT_MS)
        await top(tab)
        await screenshot(tab, "fan-passkey-not-known")

        await page.route(
            f"{base}/v1/auth/passkeys/options", lambda route: route.fulfill(json=spent)
        )
        await sign_in.click()
        await note(tab, "try again").wait_for(timeout=UI_TIMEOUT_MS)
        assert "already used" in await note(tab, "try again").inner_text()
        await page.unroute(f"{base}/v1/auth/passkeys/options")

        assert await page.get_by_role("button", name="Claim").is_disabled()
        state = await device.context.storage_state()
        assert not any(
            item["name"] == "geohunt.session"
            for entry in state["origins"]
            for item in entry["localStorage"]
        )

        # A browser without WebAuthn: a sentence instead of the passkey buttons, signed out and
        # signed in; joining works all the same.
        old = await device.fresh_context()
        await old.context.add_init_script(NO_WEBAUTHN)
        bare = await old.tab()
        await bare.page.goto(f"{base}/")
        missing = bare.page.get_by_text("This browser cannot use passkeys: join with a handle")
        await missing.wait_for(timeout=UI_TIMEOUT_MS)
        assert await bare.page.get_by_role("button", name="Sign in with a passkey").count() == 0
        await screenshot(bare, "fan-passkey-unsupported")
        handle = unique("nopk")[:20].replace("-", "_")
        await bare.page.get_by_role("textbox", name="Handle").fill(handle)
        await bare.page.get_by_role("button", name="Join").click()
        await bare.page.get_by_role("heading", name=f"Hi {handle}").wait_for(timeout=UI_TIMEOUT_MS)
        await bare.page.get_by_text("Your account works here all the same").wait_for(
            timeout=UI_TIMEOUT_MS
        )
        assert await bare.page.get_by_role("button", name="Add a passkey").count() == 0

        for phone in (device, old):
            assert phone.foreign_requests() == []
            assert phone.errors() == []
