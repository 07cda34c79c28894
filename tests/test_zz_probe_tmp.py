from tests.builders import make_hunt, TIMES_SQUARE, at
from tests.conftest import Api
from server.auth import Role

async def test_probe(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    hid, me = await api.hunter()
    org = api.organiser
    big_hunter = api.auth(Role.HUNTER, "9" * 30)
    sup_hunter = api.auth(Role.HUNTER, "²")
    probes = [
        ("GET", "/v1/hunts/%00", {}),
        ("GET", "/v1/hunts/a%00b", {}),
        ("GET", "/v1/hunts/" + "a" * 300, {}),
        ("GET", "/v1/clues/%C2%B2/history", {"headers": org}),
        ("GET", "/v1/clues/99999999999999999999999/history", {"headers": org}),
        ("GET", "/v1/tokens/%C2%B2", {}),
        ("GET", "/v1/tokens/99999999999999999999999", {}),
        ("GET", "/c/%00", {}),
        ("GET", "/v1/me", {"headers": big_hunter}),
        ("GET", "/v1/me", {"headers": sup_hunter}),
        ("POST", "/v1/auth/tokens", {"headers": org, "json": {"role": "hunter", "sub": "9" * 40}}),
        ("POST", f"/v1/hunts/{hunt.slug}/clues/import", {"headers": org, "data": b"[" * 100000}),
        ("POST", f"/v1/hunts/{hunt.slug}/clues/import", {"headers": org, "data": b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"billboard","collectible":"x","label":"a"},"geometry":{"type":"Point","coordinates":[NaN, 1]}}]}'}),
        ("POST", f"/v1/hunts/{hunt.slug}/clues/import", {"headers": org, "data": b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"billboard","collectible":"x","label":"a\\u0000"},"geometry":null}]}'}),
        ("POST", f"/v1/hunts/{hunt.slug}/clues/import", {"headers": org, "data": b'\xff\xfe'}),
        ("POST", "/v1/scans", {"headers": me, "data": b"[" * 100000}),
        ("POST", "/v1/scans", {"headers": me, "data": b'{"code": "x", "lat": NaN}'}),
        ("POST", "/v1/scans", {"headers": me, "data": b'\xff'}),
        ("POST", "/v1/scans", {"headers": {**me, "Idempotency-Key": "a\u00e9"}, "json": {"code": "x"}}),
        ("POST", "/v1/scans", {"headers": me, "json": {"code": "s.1.\u0000.AAAA"}}),
        ("POST", "/v1/scans", {"headers": me, "json": {"code": "x", "device_id": "\u0000"}}),
        ("GET", f"/v1/hunts/{hunt.slug}/clues?near=nan,nan", {"headers": org}),
        ("GET", f"/v1/hunts/{hunt.slug}/clues?near=1e400,1", {"headers": org}),
        ("GET", f"/v1/hunts/{hunt.slug}/clues?near=1,1&radius_m=nan", {"headers": org}),
        ("GET", f"/v1/hunts/{hunt.slug}/clues?limit=1e3", {"headers": org}),
        ("GET", f"/v1/hunts/{hunt.slug}/clues?limit=%00", {"headers": org}),
        ("GET", f"/v1/hunts/{hunt.slug}/clues?limit=99999999999999999999999", {"headers": org}),
        ("GET", f"/v1/clues/{clue['id']}/qr.png?scale=%FF", {"headers": org}),
        ("POST", "/v1/hunts", {"headers": {**org, "Content-Length": "99999999999"}, "data": b"{}"}),
        ("POST", "/v1/hunts", {"headers": org, "data": b"x" * 2_000_000}),
        ("POST", "/v1/hunts", {"headers": {**org, "Content-Type": "text/plain"}, "data": b"{}"}),
        ("PUT", "/v1/hunts", {"headers": org}),
        ("GET", "/nope", {}),
        ("POST", "/v1/auth/siwe", {"json": {"message": "\u0000", "signature": "0x" + "a" * 130}}),
        ("POST", "/v1/auth/siwe", {"json": {"message": "x" * 4000, "signature": "0x" + "a" * 130}}),
        ("GET", "/v1/me", {"headers": {"Authorization": "Bearer"}}),
        ("GET", "/v1/me", {"headers": {"Authorization": "Bearer \u00e9\u00e9"}}),
        ("GET", "/v1/me", {"headers": {"Authorization": "Basic abc"}}),
        ("GET", "/v1/me?token=%00", {}),
        ("PATCH", f"/v1/clues/{clue['id']}", {"headers": org, "json": {"active_from": "0001-01-01T00:00:00+23:59"}}),
        ("PATCH", f"/v1/hunts/{hunt.slug}", {"headers": org, "json": {"starts_at": "0001-01-01T00:00:00+23:59"}}),
        ("PATCH", f"/v1/hunts/{hunt.slug}", {"headers": org, "json": {"ends_at": "9999-12-31T23:59:59-23:59"}}),
        ("POST", "/v1/scans", {"headers": me, "json": {"code": "x", "scanned_at": "9999-12-31T23:59:59-23:59"}}),
        ("POST", "/v1/scans", {"headers": me, "json": {"code": hunt.code(clue), "scanned_at": "0001-01-01T00:00:00+14:00"}}),
        ("POST", "/v1/scans", {"headers": me, "json": {"code": hunt.code(clue), "scanned_at": "9999-12-31T23:59:59-14:00"}}),
    ]
    for method, path, kw in probes:
        try:
            status, body = await api.call(method, path, **kw)
        except Exception as e:
            status, body = "EXC", repr(e)
        print("PROBE", status, method, path[:70], str(body)[:160])
