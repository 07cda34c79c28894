"""SVG charts of a hunt's figures, drawn by the server: the ratings page needs no script and
nothing from outside geohunt. Every text that came from a user is escaped here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

SERIES_COLOURS = ("#3b82f6", "#f59e0b", "#10b981")
ON_SITE, ONLINE = "#6366f1", "#ec4899"
FONT = 'font-family="system-ui, sans-serif" font-size="13"'


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _legend(names: Sequence[str], colours: Sequence[str], x: int, y: int) -> list[str]:
    parts = []
    for i, (name, colour) in enumerate(zip(names, colours, strict=True)):
        left = x + i * 150
        parts.append(f'<rect x="{left}" y="{y - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{left + 18}" y="{y}" {FONT}>{escape(name)}</text>')
    return parts


def grouped_bars(
    labels: Sequence[str], series: dict[str, Sequence[int]], title: str, width: int = 760
) -> str:
    """One group of horizontal bars per label, one bar per series, each with its value."""
    names = list(series)
    label_w, bar_h, gap = 220, 14, 12
    group_h = bar_h * len(names) + gap
    height = 40 + group_h * max(len(labels), 1)
    top = max((max(v, default=0) for v in series.values()), default=0) or 1
    scale = (width - label_w - 60) / top
    body = _legend(names, SERIES_COLOURS[: len(names)], label_w, 18)
    for row, label in enumerate(labels):
        y0 = 32 + row * group_h
        body.append(
            f'<text x="{label_w - 8}" y="{y0 + group_h / 2}" text-anchor="end" {FONT}>'
            f"{escape(label)}</text>"
        )
        for k, name in enumerate(names):
            value = series[name][row]
            y = y0 + k * bar_h
            w = max(value * scale, 1 if value else 0)
            body.append(
                f'<rect class="bar" data-series="{escape(name)}" data-value="{value}"'
                f' x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}"'
                f' fill="{SERIES_COLOURS[k % len(SERIES_COLOURS)]}"/>'
            )
            body.append(
                f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}" {FONT}>{value}</text>'
            )
    return _svg(width, height, body, title)


def split_bars(labels: Sequence[str], on_site: Sequence[int], online: Sequence[int]) -> str:
    """Per label, one bar of 100%: the share of finds made on site against online."""
    width, label_w, bar_h = 760, 220, 20
    height = 40 + (bar_h + 8) * max(len(labels), 1)
    span = width - label_w - 20
    body = _legend(["on site", "online"], [ON_SITE, ONLINE], label_w, 18)
    for row, label in enumerate(labels):
        y = 30 + row * (bar_h + 8)
        total = on_site[row] + online[row]
        body.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" {FONT}>{escape(label)}</text>'
        )
        if total == 0:
            body.append(
                f'<rect x="{label_w}" y="{y}" width="{span}" height="{bar_h}" fill="#e5e7eb"/>'
                f'<text x="{label_w + 8}" y="{y + 15}" {FONT}>no finds yet</text>'
            )
            continue
        site_w = span * on_site[row] / total
        body.append(
            f'<rect class="split" data-on-site="{on_site[row]}" data-online="{online[row]}"'
            f' x="{label_w}" y="{y}" width="{site_w:.1f}" height="{bar_h}" fill="{ON_SITE}"/>'
            f'<rect x="{label_w + site_w:.1f}" y="{y}" width="{span - site_w:.1f}"'
            f' height="{bar_h}" fill="{ONLINE}"/>'
            f'<text x="{label_w + 6}" y="{y + 15}" fill="#fff" {FONT}>'
            f"{round(100 * on_site[row] / total)}% on site</text>"
        )
    return _svg(width, height, body, "Finds on site and online")


def hourly_line(hours: Sequence[datetime], scans: Sequence[int], finds: Sequence[int]) -> str:
    """Scans and finds per hour as two lines over a shared time axis."""
    width, height, left, bottom, top_pad = 760, 260, 50, 30, 30
    plot_w, plot_h = width - left - 20, height - bottom - top_pad
    body = _legend(["scans", "finds"], SERIES_COLOURS[:2], left, 18)
    if not hours:
        body.append(f'<text x="{left}" y="{height / 2}" {FONT}>no scans yet</text>')
        return _svg(width, height, body, "Scans per hour")
    peak = max(scans) or 1
    step = plot_w / max(len(hours) - 1, 1)

    def point(i: int, value: int) -> str:
        return f"{left + i * step:.1f},{top_pad + plot_h - value / peak * plot_h:.1f}"

    base_y = top_pad + plot_h
    body.append(
        f'<line x1="{left}" y1="{base_y}" x2="{left + plot_w}" y2="{base_y}" stroke="#9ca3af"/>'
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" {FONT}>{peak}</text>'
        f'<text x="{left - 6}" y="{base_y}" text-anchor="end" {FONT}>0</text>'
    )
    for values, colour, name in (
        (scans, SERIES_COLOURS[0], "scans"),
        (finds, SERIES_COLOURS[1], "finds"),
    ):
        if len(values) == 1:
            x, y = point(0, values[0]).split(",")
            body.append(
                f'<circle class="line" data-series="{name}" cx="{x}" cy="{y}" r="4"'
                f' fill="{colour}"/>'
            )
            continue
        points = " ".join(point(i, v) for i, v in enumerate(values))
        body.append(
            f'<polyline class="line" data-series="{name}" points="{points}" fill="none"'
            f' stroke="{colour}" stroke-width="2.5"/>'
        )
    for i in sorted({0, len(hours) - 1, (len(hours) - 1) // 2}):
        body.append(
            f'<text x="{left + i * step:.1f}" y="{height - 8}" text-anchor="middle" {FONT}>'
            f"{hours[i].strftime('%d %b %H:00')}</text>"
        )
    return _svg(width, height, body, "Scans per hour")


SCENE_COLD, SCENE_HOT = (238, 242, 255), (190, 18, 60)


def _heat(loves: int, peak: int) -> str:
    """From a pale blue (no love) to a deep red (the hunt's most loved minute)."""
    t = 0.0 if peak == 0 else (loves / peak) ** 0.5
    r, g, b = (round(c + (h - c) * t) for c, h in zip(SCENE_COLD, SCENE_HOT, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def scene_strips(labels: Sequence[str], scenes: Sequence[Sequence[dict[str, int]]]) -> str:
    """One strip per episode: a cell per minute, coloured by the loves of the fans' moments
    whose scene falls in that minute (a minute without moments stays empty). The minutes run
    to the last one with a moment in any episode, at least ten."""
    width, label_w, strip_h, gap = 760, 220, 22, 10
    last = max((cell["minute"] for cells in scenes for cell in cells), default=0)
    span = max(last + 1, 10)
    cell_w = (width - label_w - 20) / span
    peak = max((cell["loves"] for cells in scenes for cell in cells), default=0)
    height = 46 + (strip_h + gap) * max(len(labels), 1)
    body = [
        f'<text x="{label_w}" y="18" {FONT}>loves of fans\' moments per minute'
        f" (darkest: {peak})</text>"
    ]
    for row, (label, cells) in enumerate(zip(labels, scenes, strict=True)):
        y = 30 + row * (strip_h + gap)
        body.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" {FONT}>{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{cell_w * span:.1f}" height="{strip_h}"'
            ' fill="#f3f4f6"/>'
        )
        for cell in cells:
            minute, loves = cell["minute"], cell["loves"]
            body.append(
                f'<rect class="scene" data-minute="{minute}" data-loves="{loves}"'
                f' data-moments="{cell["moments"]}" x="{label_w + minute * cell_w:.1f}" y="{y}"'
                f' width="{max(cell_w, 1):.1f}" height="{strip_h}" fill="{_heat(loves, peak)}">'
                f"<title>{minute}:00-{minute}:59: {loves} loves, {cell['moments']} moments"
                "</title></rect>"
            )
    axis_y = height - 8
    for minute in sorted({0, span // 2, span - 1}):
        body.append(
            f'<text x="{label_w + (minute + 0.5) * cell_w:.1f}" y="{axis_y}"'
            f' text-anchor="middle" {FONT}>{minute}\'</text>'
        )
    return _svg(width, height, body, "Loves of fans' moments per minute of each episode")
