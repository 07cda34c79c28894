"""The venue screen in a real browser (Debian's Chromium, headless, driven by Playwright): it
loads with nothing from outside the server, shows a scan made through the API within 2 seconds,
and its digital clue's code changes at the step. A screenshot is kept in test-artifacts/.

Chromium is installed with `apt-get install -y chromium chromium-driver`; without it this test
fails (it never skips: the screen would be untested)."""

from __future__ import annotations

from typing import Any

from hunt_engine.codes import rotating_code
from server.http.app_keys import SERVICES
from server.http.auth import Role
from tests.support.api import Api
from tests.support.browser import ARTIFACTS, full_hd_tab
from tests.support.builders import TIMES_SQUARE, at, make_hunt

ROTATE_S = 5  # the shortest step a hunt may have


async def test_screen_shows_finds_live_and_rotates_its_code(api: Api) -> None:
    hunt = await make_hunt(api, rules={"rotate_s": ROTATE_S})
    key = await hunt.collectible(supply=100, name="Jibaro's Siren")
    billboard = await hunt.clue(collectible=key)
    digital = await hunt.clue(kind="digital", collectible=await hunt.collectible())
    token = api.issuer.issue(Role.SCREEN, "venue", 600, hunt.slug)[0]
    base = str(api.client.make_url("")).rstrip("/")
    url = f"{base}/screens/{hunt.slug}?token={token}&clue={digital['id']}"
    async with full_hd_tab() as tab:
        page = tab.page
        answer = await page.goto(url)
        assert answer is not None and answer.status == 200
        # Selectors only: the page's CSP rightly forbids evaluating strings as script.
        await page.wait_for_selector("#status.live", timeout=20_000)
        await page.wait_for_selector(f'#episodes li[data-key="{key}"]', timeout=20_000)

        hunter_id, me = await api.hunter("Fan_on_site")
        body = {"code": hunt.code(billboard), **at(TIMES_SQUARE)}
        _, scan = await api.call("POST", "/v1/scans", 201, headers=me, json=body)
        # What the issue asks of a screen: the find shows within 2 seconds.
        ticker = await page.wait_for_selector(
            f'#ticker li[data-find="{scan["find"]["id"]}"]', timeout=2_000
        )
        assert ticker is not None
        assert "Fan_on_site found Jibaro's Siren in New York" in await ticker.inner_text()
        row = await page.wait_for_selector(f'#board li[data-hunter="{hunter_id}"]', timeout=20_000)
        assert row is not None and (await row.inner_text()).split() == [
            "1",
            "Fan_on_site",
            "1",
        ]
        count = await page.inner_text(f'#episodes li[data-key="{key}"] .count')
        assert count == "1 / 100"

        # The server drops the page's stream (as a restart would) and a find happens
        # meanwhile: the page reconnects by itself and resumes where it was.
        hub = api.client.app[SERVICES].live.hub
        await hub.close_all()
        _, other = await api.hunter("Second_fan")
        _, missed = await api.call("POST", "/v1/scans", 201, headers=other, json=body)
        await page.wait_for_selector(
            f'#ticker li[data-find="{missed["find"]["id"]}"]', timeout=20_000
        )
        await page.wait_for_selector("#status.live", timeout=20_000)
        count = await page.inner_text(f'#episodes li[data-key="{key}"] .count')
        assert count == "2 / 100"

        code, step = await _code(page)
        assert code == rotating_code(api.settings.qr_keyring, digital["id"], step)
        assert await page.inner_html("#qr") != ""
        await page.wait_for_selector(
            f'#code-text:not([data-step="{step}"])', timeout=(ROTATE_S + 10) * 1000
        )
        new_code, new_step = await _code(page)
        assert new_step == step + 1
        assert new_code == rotating_code(api.settings.qr_keyring, digital["id"], new_step)
        assert new_code != code

        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "venue-screen.png"))
    # A venue may have no internet: the page asked nothing of any other origin.
    assert tab.requested and all(u.startswith(base + "/") for u in tab.requested), tab.requested
    assert (ARTIFACTS / "venue-screen.png").stat().st_size > 10_000
    assert tab.errors == []  # no script error, no Content-Security-Policy violation


async def _code(page: Any) -> tuple[str, int]:
    text = await page.inner_text("#code-text")
    step = await page.get_attribute("#code-text", "data-step")
    return text, int(step)
