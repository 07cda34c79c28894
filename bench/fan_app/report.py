"""The "Fan app" section of BENCHMARKS.md: the first load's Lighthouse figures against the
targets, and the time from "Claim" to "You found"."""

from __future__ import annotations

from typing import Any

from bench.report import machine_line, measured_line, met, percentiles

BEGIN = "<!-- bench:fan-app:begin -->"
END = "<!-- bench:fan-app:end -->"
MIN_SCORES = {"performance": 90, "accessibility": 95, "best-practices": 95}
MAX_JS_CSS_BYTES = 150_000
PAGE_NAMES = {"code": "`/c/{code}` (a seeded billboard's code)", "home": "`/`"}
CLAIM_ROWS = (
    ("page_ms", "page clock (reported)"),
    ("playwright_ms", "Playwright's clock (adds the DevTools round trips and polling)"),
)
PART_ROWS = (
    ("to_fix_ms", "of the page clock: click to the geolocation fix reaching the app"),
    ("to_request_ms", "the fix to the request leaving (the app's code, the body)"),
    ("request_ms", "the request, `POST /v1/scans` (Resource Timing)"),
    ("to_status_ms", "its answer read and the status written"),
)  # fmt: skip


def kb(n: float) -> str:
    return f"{n / 1000:,.1f} KB"


def summary(results: dict[str, Any]) -> dict[str, Any]:
    pages = results["lighthouse"]
    targets = {
        category: all((p["median"]["scores"][category] or 0) >= least for p in pages.values())
        for category, least in MIN_SCORES.items()
    }
    targets["js_css_bytes"] = all(
        p["median"]["js_css_bytes"] < MAX_JS_CSS_BYTES for p in pages.values()
    )
    c = results["claims"]
    return {
        "scores": {name: p["median"]["scores"] for name, p in pages.items()},
        "js_css_bytes": {name: p["median"]["js_css_bytes"] for name, p in pages.items()},
        "claim_ms": percentiles(c["page_ms"]),
        "claim_playwright_ms": percentiles(c["playwright_ms"]),
        "n": c["n"],
        "targets": targets,
        "all_found": results["finds"] == sum(results["fans"].values()),
    }


def section(results: dict[str, Any], command: str) -> str:
    m, svc, build = results["machine"], results["services"], results["build"]
    files = build["files"]
    pages, c = results["lighthouse"], results["claims"]
    runs = next(iter(pages.values()))["runs"]
    first = runs[0]
    screen, cpu = first["screen"], first["throttling"]
    lines = [
        BEGIN,
        "## Fan app: first load and claim",
        "",
        measured_line(results["date"], command),
        "",
        f"- {machine_line(m)}; the server, PostgreSQL {svc['postgresql']}, Redis "
        f"{svc['redis']} and Chromium share these CPUs (others' jobs kept them "
        f"{results['quiet']['busy_pct']:g}% busy before the Lighthouse runs, "
        f"{results['claims_quiet']['busy_pct']:g}% before the claims).",
        f"- The app as `make setup` builds it into web/dist (build `{build['version']}`: "
        f"`{build['script']}` {kb(files[build['script']]['gzip'])} and `{build['style']}` "
        f"{kb(files[build['style']]['gzip'])} gzipped), served by one server process "
        "(`geohunt serve`'s app) on a scratch database, at `http://localhost:PORT`: one hunt of "
        f"{results['hunt']['billboards']} billboards around Times Square (`bench/seed.py`).",
        f"- First load: Lighthouse {first['lighthouse']} in Debian's Chromium (headless), "
        f"mobile form factor at {screen['width']}x{screen['height']} "
        f"({screen['deviceScaleFactor']:g}x), its default mobile throttling (simulated: "
        f"{cpu['rttMs']:g} ms round trips, {cpu['throughputKbps'] / 1024:.1f} Mbit/s, CPU "
        f"{cpu['cpuSlowdownMultiplier']:g}x slower), storage cleared before each run; "
        f"{len(runs)} run(s) of each page, the median of "
        "each figure. Bytes: the network-requests audit's `transferSize` (as sent: gzip, with "
        "the headers), KB = 1,000 bytes.",
        "",
        "| page | performance | accessibility | best practices | FCP | LCP | TBT | CLS "
        "| JS + CSS sent | everything sent |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(page_row(name, p["median"]) for name, p in pages.items()),
        "",
        *target_table(results),
        "",
        *load_notes(results),
        "",
        *claim_lines(results),
        "",
        '| from pressing "Claim" to "You found" | n | p50 ms | p95 ms | max ms |',
        "|---|---:|---:|---:|---:|",
        *(claim_row(label, c[key]) for key, label in CLAIM_ROWS),
        *(claim_row(label, c["parts_ms"].get(key, [])) for key, label in PART_ROWS),
        server_row("the server's own time for those requests", c["server"]),
        claim_row(
            "the same request sent from Python once Chromium has closed, by as many other "
            "fresh fans",
            results["bare"]["ms"],
        ),
        server_row("the server's own time for those", results["bare"]["server"]),
        "",
        outcome(results),
        "",
        "Reading: " + reading(results),
        END,
    ]
    return "\n".join(lines) + "\n"


def page_row(name: str, median: dict[str, Any]) -> str:
    s, mt = median["scores"], median["metrics"]

    def ms(key: str) -> str:
        value = mt[key]
        return "?" if value is None else f"{value / 1000:.1f} s"

    return (
        f"| {PAGE_NAMES.get(name, name)} | {s['performance']} | {s['accessibility']} | "
        f"{s['best-practices']} | {ms('fcp_ms')} | {ms('lcp_ms')} | "
        f"{(mt['tbt_ms'] or 0):.0f} ms | {(mt['cls'] or 0):.2f} | "
        f"{kb(median['js_css_bytes'])} | {kb(median['bytes'])} ({median['requests']} requests) |"
    )


def target_table(results: dict[str, Any]) -> list[str]:
    pages, t = results["lighthouse"], results["summary"]["targets"]
    rows = ["| target | result | |", "|---|---|---|"]
    for category, least in MIN_SCORES.items():
        got = ", ".join(
            f"{p['median']['scores'][category]} (`{p['path']}`)" for p in pages.values()
        )
        low = min(p["median"]["scores_min"][category] for p in pages.values())
        label = category.replace("-", " ")
        rows.append(f"| {label} >= {least} | {got}; lowest run {low} | {met(t[category])} |")
    sizes = ", ".join(f"{kb(p['median']['js_css_bytes'])} (`{p['path']}`)" for p in pages.values())
    rows.append(
        f"| JS + CSS of the first load under {MAX_JS_CSS_BYTES / 1000:g} KB (compressed) | "
        f"{sizes} | "
        f"{met(t['js_css_bytes'])} |"
    )
    return rows


def load_notes(results: dict[str, Any]) -> list[str]:
    pages, kept = results["lighthouse"], results["precached"]
    failed = {(f["category"], f["id"]): f for p in pages.values() for f in p["median"]["failed"]}
    errored = {a: why for p in pages.values() for a, why in p["median"]["errored"].items()}
    seen = {name for p in pages.values() for r in p["runs"] for name in r["js_css"]}
    files = results["build"]["files"]
    later = [n for n in files if n.endswith(".js") and n not in seen and n != "sw.js"]
    notes = [
        "Loaded only when a feature needs it (esbuild's split chunks): "
        + ", ".join(f"`{n}` {kb(files[n]['gzip'])}" for n in sorted(later))
        + ". Not in the first load's bytes either: once registered, the service worker keeps "
        f"the whole shell for offline use ({kept['files']} files, {kb(kept['bytes'])} "
        f"compressed, of which JS + CSS {kb(kept['js_css_bytes'])}, those chunks among them), "
        "part of it already "
        "in the HTTP cache from the page's own load; Lighthouse does not record a service "
        "worker's requests."
    ]
    if failed:
        notes.append("")
        notes.append("Audits that failed (counted in a score):")
        for (category, ident), f in sorted(failed.items()):
            where = "; ".join(f"`{n['selector']}`" for n in f["nodes"] if n["selector"])
            notes.append(f"- {category}: `{ident}` ({f['title']}){': ' + where if where else ''}")
    else:
        notes.append("")
        notes.append("No audit that counts in a score failed on either page.")
    if errored:
        why = "; ".join(f"\u201c{w}\u201d" for w in sorted(set(errored.values())) if w)
        notes.append(
            f"Audits Lighthouse could not run (no weight in the scores): "
            f"{', '.join(f'`{a}`' for a in sorted(errored))}" + (f" ({why})." if why else ".")
        )
    return notes


def claim_lines(results: dict[str, Any]) -> list[str]:
    c = results["claims"]
    painted = percentiles([p for p in c["parts_ms"].get("to_paint_ms", [])])
    return [
        f"- Claim: {c['n']} distinct fans, one after another, each in a fresh browser context "
        f"of Debian's Chromium {c['browser']} (Playwright) at 390x844 with geolocation granted "
        "at the billboard (accuracy 8 m: the claim waits for a fix, and the first emulated one "
        "is good enough), its hunter token in the page's localStorage (`geohunt.session`, as "
        'web/fan/session.js keeps it), on the billboard\'s code page; each presses "Claim" '
        "once the button is enabled and the service worker is ready (the first visit's "
        f"background fetches are over). {c['warmup']} more fans claimed first, unmeasured.",
        "- Page clock: from the click event's `timeStamp` to `performance.now()` when the status "
        'region (role `status`) first holds "You found" (a MutationObserver added before the '
        "app's scripts, which also notes when the fix reaches the app's `watchPosition` "
        "callback and reads the request's Resource Timing entry; it reads clocks only and "
        "reports through a Playwright binding). The "
        "next animation frame, which paints the text, came "
        f"{painted.get('p50', 0):.1f} ms later at the median ({painted.get('max', 0):.1f} ms "
        "at most). Playwright's clock: `time.perf_counter()` around `click()` and the wait "
        "for that text.",
    ]


def claim_row(label: str, samples: list[float]) -> str:
    p = percentiles(samples)
    if not p:
        return f"| {label} | 0 | | | |"
    return f"| {label} | {len(samples)} | {p['p50']:.1f} | {p['p95']:.1f} | {p['max']:.1f} |"


def outcome(results: dict[str, Any]) -> str:
    c, fans = results["claims"], results["fans"]
    load = c["machine"]
    during = (
        f"During the measured claims the machine was {load['busy_pct']:g}% busy (of all its "
        f"CPUs), and jobs other than this benchmark's took {load['others_pct_of_a_cpu']:g}% of "
        "a CPU. "
    )
    who = f"{fans['browser']} fans in the browser and {fans['bare']} without"
    found = (
        f"Every claim was accepted: {results['finds']} finds of the billboard, by {who}"
        if results["summary"]["all_found"]
        else f"**Not every claim was accepted**: {results['finds']} finds, by {who}"
    )
    clean = (
        "no script error or CSP violation, no request to another origin"
        if not c["errors"] and not c["foreign_requests"]
        else f"errors: {c['errors'][:3]}; requests to other origins: {c['foreign_requests'][:3]}"
    )
    refused = c.get("refused_loads", 0)
    shed = (
        f" The server shed {refused} loads of the code page (503), each reloaded after its"
        " Retry-After."
        if refused
        else ""
    )
    return f"{during}{found}; the last status read \u201c{c['status']}\u201d; {clean}.{shed}"


def server_row(label: str, server: dict[str, Any]) -> str:
    def under(key: str) -> str:
        bound = server.get(key)
        return "" if bound is None else f"< {bound:g}"

    mean = server.get("mean_ms")
    return (
        f"| {label} (its `geohunt_request_seconds` histogram: mean "
        f"{'?' if mean is None else f'{mean:.1f}'} ms; bucket bounds) | "
        f"{server.get('count', 0)} | {under('p50_under_ms')} | {under('p95_under_ms')} | |"
    )


def reading(results: dict[str, Any]) -> str:
    code = results["lighthouse"]["code"]["median"]
    c, bare = results["claims"], results["bare"]
    p50 = {k: percentiles(v).get("p50", 0.0) for k, v in c["parts_ms"].items()}
    total = percentiles(c["page_ms"])
    named = {
        "to_fix_ms": "the geolocation fix reaching the app",
        "to_request_ms": "the app's code from the fix to the request",
        "request_ms": "the request, `POST /v1/scans`",
        "to_status_ms": "reading the answer and writing the status",
    }
    order = sorted(named, key=lambda k: -p50.get(k, 0.0))
    parts = ", ".join(f"{named[k]} {p50.get(k, 0.0):.1f} ms" for k in order)
    with_browser = c["server"].get("mean_ms") or 0.0
    alone = bare["server"].get("mean_ms") or 0.0
    company = (
        "so a claim's request is slowed by the company it keeps, not by its own work: "
        f"Chromium's processes run on the same {results['machine']['nproc']} CPUs that the "
        "server, PostgreSQL and Redis pass each scan between."
        if with_browser > 2 * alone
        else "so a claim's request costs the server about what a bare scan does."
    )
    return (
        f"a fan who scans a billboard loads one script and one style sheet "
        f"({kb(code['js_css_bytes'])} together, compressed) besides the page and the API's "
        "answers; both are named by their content's hash and kept for a year, so a second "
        f"visit sends only the page and the answers. Of the median claim ({total.get('p50', 0):.1f}"
        f" ms on the page's clock): {parts}. Even the emulated position is not instant: "
        "Chromium answers `watchPosition` from its browser process; on a phone this wait is "
        "the fix's own time, which an emulated position does not show. The server's own time "
        f"for a claim's request averaged {with_browser:.1f} ms, against {alone:.1f} ms for the "
        "same scans sent from Python once Chromium had closed, "
        f"{company} Playwright's clock is longer because "
        "`click()` first checks that the button is visible, stable and enabled and then sends "
        "the input over the DevTools protocol, and the wait polls for the text: that is the "
        "tool's time, not the fan's."
    )
