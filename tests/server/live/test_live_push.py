"""Live messages through one app: WebSocket and SSE clients get a snapshot, then the finds,
leaderboards, mints and alerts of their hunt, and only of theirs; slow clients are dropped."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import asyncpg

from server.http.app_keys import SERVICES
from server.http.auth import Role
from server.live.frames import Message
from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, SseReader, at, delivered, make_hunt, ws_until

SSE = {"Accept": "text/event-stream"}


def screen(api: Api, slug: str) -> dict[str, str]:
    return api.auth(Role.SCREEN, "venue-1", hunt=slug)


async def test_websocket_gets_snapshot_then_find_then_leaderboard(api: Api) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible(supply=50)
    clue = await hunt.clue(collectible=key)
    async with api.client.ws_connect(
        f"/v1/hunts/{hunt.slug}/live", headers=screen(api, hunt.slug)
    ) as ws:
        snapshot = await ws.receive_json(timeout=20)
        assert snapshot["type"] == "snapshot"
        assert snapshot["leaderboard"] == [] and snapshot["recent"] == []
        assert snapshot["collectibles"][key] == {
            "name": f"Collectible {key}",
            "episode": "Jibaro",
            "found": 0,
            "supply": 50,
        }
        hunter_id, me = await api.hunter()
        _, scan = await api.call(
            "POST", "/v1/scans", 201, headers=me, json={"code": hunt.code(clue), **at(TIMES_SQUARE)}
        )
        find = await ws_until(ws, "find")
        assert find["hunt"] == hunt.slug
        assert find["find"]["id"] == scan["find"]["id"]
        assert find["find"]["clue_id"] == clue["id"]
        assert find["find"]["collectible"]["key"] == key
        assert find["hunter"]["hunter_id"] == hunter_id and find["hunter"]["score"] == 1
        assert find["collectible"]["found"] == 1 and find["collectible"]["supply"] == 50
        assert find["clue"] == {"kind": "billboard", "city": "New York"}
        assert find["event_id"].endswith("-0")
        board = await ws_until(ws, "leaderboard")
        [entry] = board["entries"]
        assert entry["hunter_id"] == hunter_id and entry["rank"] == 1 and entry["score"] == 1


async def test_sse_numbers_events_and_follows_only_its_hunt(api: Api) -> None:
    hunt, other = await make_hunt(api), await make_hunt(api)
    clue, elsewhere = await hunt.clue(), await other.clue()
    token = api.issuer.issue(Role.SCREEN, "venue-2", 600, hunt.slug)[0]
    # A browser's EventSource passes the token in the query string.
    response = await api.client.get(f"/v1/hunts/{hunt.slug}/events?token={token}", headers=SSE)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events = SseReader(response)
    first_id, snapshot = await events.next()
    assert snapshot["type"] == "snapshot" and first_id is not None
    seen = []
    for target, code in ((other, elsewhere), (hunt, clue), (other, elsewhere), (hunt, clue)):
        _, me = await api.hunter()
        body = {"code": target.code(code), **at(TIMES_SQUARE)}
        await api.call("POST", "/v1/scans", 201, headers=me, json=body)
    while len(seen) < 2:
        event_id, body = await events.next()
        if body["type"] == "find":
            assert body["hunt"] == hunt.slug
            assert event_id == body["event_id"]
            seen.append(tuple(int(p) for p in event_id.split("-")))
    assert seen[0] < seen[1]
    response.close()


async def test_sse_without_event_stream_accept_gets_the_catch_up_only(api: Api) -> None:
    hunt = await make_hunt(api)
    response = await api.client.get(f"/v1/hunts/{hunt.slug}/events", headers=screen(api, hunt.slug))
    assert response.status == 200
    text = await response.text()  # the response ends
    data = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    assert [json.loads(d)["type"] for d in data] == ["snapshot"]


async def test_sse_resumes_after_last_event_id_with_every_missed_event_once(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api)
    clues = [await hunt.clue() for _ in range(4)]
    headers = {**screen(api, hunt.slug), **SSE}
    path = f"/v1/hunts/{hunt.slug}/events"
    first = await api.client.get(path, headers=headers)
    events = SseReader(first)
    _, me = await api.hunter()
    scan = {"code": hunt.code(clues[0]), **at(TIMES_SQUARE)}
    await api.call("POST", "/v1/scans", 201, headers=me, json=scan)
    last_id, find = None, None
    while find is None:
        last_id, body = await events.next()
        find = body if body["type"] == "find" else None
    first.close()

    missed = []
    for clue in clues[1:]:
        _, body = await api.call(
            "POST", "/v1/scans", 201, headers=me, json={"code": hunt.code(clue), **at(TIMES_SQUARE)}
        )
        missed.append(body["find"]["id"])
    await asyncio.wait_for(delivered(db, missed), 20)
    got, board = await replay(api, path, headers, str(last_id))
    assert all(body["type"] == "find" for body in got), got
    assert [body["find"]["id"] for body in got] == missed
    [entry] = board["entries"]
    assert entry["score"] == 4
    # A malformed id is refused, not ignored.
    status, problem = await api.call("GET", path, headers={**headers, "Last-Event-ID": "x"})
    assert status == 400 and problem["code"] == "invalid_request"


async def replay(
    api: Api, path: str, headers: dict[str, str], last_id: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """What an SSE client resuming after `last_id` is sent: the messages it missed, and the
    leaderboard that ends the replay."""
    response = await api.client.get(path, headers={**headers, "Last-Event-ID": last_id})
    reader, missed = SseReader(response), []
    try:
        while True:
            _, body = await reader.next()
            if body["type"] == "leaderboard":
                return missed, body
            missed.append(body)
    finally:
        response.close()


async def test_mints_settled_together_arrive_one_by_one_and_resume_between_them(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api)
    clues = [await hunt.clue() for _ in range(3)]
    headers = {**screen(api, hunt.slug), **SSE}
    path = f"/v1/hunts/{hunt.slug}/events"
    finds = []
    for clue in clues:
        hunter_id, me = await api.hunter()
        await db.execute(
            "UPDATE hunters SET wallet = $2 WHERE id = $1", hunter_id, f"0x{hunter_id:040x}"
        )
        _, body = await api.call(
            "POST", "/v1/scans", 201, headers=me, json={"code": hunt.code(clue), **at(TIMES_SQUARE)}
        )
        finds.append(body["find"]["id"])
    first = await api.client.get(path, headers=headers)
    events = SseReader(first)
    # The three settled by one statement, as the worker settles its mined batches.
    await db.execute(
        "UPDATE mint_jobs SET status = 'minted', tx_hash = $2, minted_at = now()"
        " WHERE find_id = ANY($1::bigint[])",
        finds,
        "0x" + "cd" * 32,
    )
    mints: list[tuple[str | None, dict[str, Any]]] = []
    while len(mints) < 3:
        event_id, body = await events.next()
        assert body["type"] != "mints"  # never seen by a client
        if body["type"] == "mint":
            mints.append((event_id, body))
    first.close()
    assert [body["find_id"] for _, body in mints] == finds
    assert [body["event_id"] for _, body in mints] == [event_id for event_id, _ in mints]
    seq = str(mints[0][0]).split("-")[0]
    assert [event_id for event_id, _ in mints] == [f"{seq}-0", f"{seq}-1", f"{seq}-2"]

    # A screen that lost its connection after the first resumes with the other two.
    got, _ = await replay(api, path, headers, str(mints[0][0]))
    assert [body["find_id"] for body in got] == finds[1:]


async def test_live_routes_check_roles_and_hunts(api: Api) -> None:
    hunt, other = await make_hunt(api), await make_hunt(api)
    _, hunter = await api.hunter()
    for path in (f"/v1/hunts/{hunt.slug}/events", f"/v1/hunts/{hunt.slug}/live"):
        status, body = await api.call("GET", path)
        assert (status, body["code"]) == (401, "unauthorized")
        status, body = await api.call("GET", path, headers=hunter)
        assert (status, body["code"]) == (403, "forbidden")
        status, body = await api.call("GET", path, headers=screen(api, other.slug))
        assert (status, body["code"]) == (403, "forbidden")
    status, body = await api.call("GET", "/v1/hunts/no-such-hunt/events", headers=api.organiser)
    assert (status, body["code"]) == (404, "not_found")
    # Not an upgrade request: a problem, not a broken socket.
    status, body = await api.call("GET", f"/v1/hunts/{hunt.slug}/live", headers=api.organiser)
    assert (status, body["code"]) == (400, "invalid_request")


async def test_alert_and_mint_reach_screens(api: Api, db: asyncpg.Connection) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    wallet = "0x" + "ab" * 20
    hunter_id, me = await api.hunter()
    await db.execute("UPDATE hunters SET wallet = $2 WHERE id = $1", hunter_id, wallet)
    async with api.client.ws_connect(f"/v1/hunts/{hunt.slug}/live", headers=api.organiser) as ws:
        await ws_until(ws, "snapshot")
        _, scan = await api.call(
            "POST", "/v1/scans", 201, headers=me, json={"code": hunt.code(clue), **at(TIMES_SQUARE)}
        )
        find_id = scan["find"]["id"]
        await db.execute(
            "UPDATE mint_jobs SET status = 'minted', tx_hash = $2, minted_at = now()"
            " WHERE find_id = $1",
            find_id,
            "0x" + "cd" * 32,
        )
        mint = await ws_until(ws, "mint")
        assert mint["find_id"] == find_id == mint["token_id"]
        assert mint["tx_hash"] == "0x" + "cd" * 32
        assert mint["hunter"]["hunter_id"] == hunter_id
        hunt_id = await db.fetchval("SELECT id FROM hunts WHERE slug = $1", hunt.slug)
        alert_id = await db.fetchval(
            "INSERT INTO alerts (hunt_id, kind, clue_id, detail) VALUES ($1, 'leaked_code', $2,"
            " '{\"hunters\": 5}') RETURNING id",
            hunt_id,
            clue["id"],
        )
        alert = await ws_until(ws, "alert")
        assert alert["alert"]["id"] == alert_id and alert["alert"]["clue_id"] == clue["id"]
        assert alert["alert"]["kind"] == "leaked_code" and alert["alert"]["detail"]["hunters"] == 5


async def _raw_ws(port: int, path: str, token: str) -> socket.socket:
    """A WebSocket client that never reads: its receive buffer is tiny, so the server's send
    buffer fills as soon as messages come."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", port))
    request = (
        f"GET {path}?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = await loop.sock_recv(sock, 1024)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


async def test_a_client_that_does_not_read_is_dropped_and_others_get_everything(
    api: Api,
) -> None:
    hunt = await make_hunt(api)
    hub = api.client.app[SERVICES].live.hub
    token = api.issuer.issue(Role.SCREEN, "venue-3", 600, hunt.slug)[0]
    path = f"/v1/hunts/{hunt.slug}/live"
    stuck = await _raw_ws(api.client.port, path, token)
    async with api.client.ws_connect(f"{path}?token={token}") as ws:
        await ws_until(ws, "snapshot")
        hunt_id = await api.client.app[SERVICES].pool.fetchval(
            "SELECT id FROM hunts WHERE slug = $1", hunt.slug
        )
        while hub.clients(hunt_id) < 2:
            await asyncio.sleep(0.01)
        filler = "x" * 60_000
        count = 200  # 12 MB: more than any socket buffer holds for a client that never reads
        received: list[int] = []

        async def read_all() -> None:
            while len(received) < count:
                body: dict[str, Any] = await ws.receive_json(timeout=20)
                if body["type"] == "test":
                    received.append(body["n"])

        reader = asyncio.create_task(read_all())
        for n in range(count):
            hub.broadcast(hunt_id, Message.of({"type": "test", "n": n, "filler": filler}))
            await asyncio.sleep(0.002)
        await reader
        assert received == list(range(count))
        assert hub.clients(hunt_id) == 1  # the stuck client was dropped; the reader was not
    stuck.close()
