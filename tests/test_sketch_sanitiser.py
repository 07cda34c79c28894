"""The SVG sanitiser on its own (server/fans/sketches.py), for the two findings of the independent
probe it was hardened against:

- an attribute the browser parses as CSS, holding an escape of `url(` (`\\75 rl(`), was served
  byte for byte and made Chromium fetch an outside address: values are now allowed by grammar,
  and generated hostile values (escapes, character references, comments, case changes) are
  refused or come out unable to refer to anything outside the document;
- `<use>` nested a dozen deep, ten to a level, was accepted and never finished rendering: what
  the references add to the file's own drawing is now counted and bounded, cycles refused.

The browser side (the bounded worst case rendered in Chromium, nothing fetched) is in
tests/test_sketch_render_browser.py."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hunt_engine.errors import InvalidRequest
from server.fans import sketches
from server.fans.sketches import (
    ATTRIBUTES,
    ELEMENTS,
    MAX_DEPTH,
    MAX_REFERENCED_COORDINATES,
    MAX_REFERENCED_ELEMENTS,
    SVG_NS,
    XLINK_NS,
    clean_svg,
)

EVIL = "http://evil.example/x"


def svg(body: str, root: str = "") -> bytes:
    return (
        f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" viewBox="0 0 100 100"{root}>{body}</svg>'
    ).encode()


def served(body: str, root: str = "") -> str:
    return clean_svg(svg(body, root)).data.decode()


def refusal(body: str, root: str = "") -> str:
    with pytest.raises(InvalidRequest) as refused:
        clean_svg(svg(body, root))
    return str(refused.value)


# --- finding 4: CSS escapes and other disguises in attribute values ----------------------------

ESCAPED = {
    # The probe's: a CSS escape of `u` (and its variants), in a presentation attribute.
    "fill \\75 rl(": f'<rect width="9" height="9" fill="\\75 rl({EVIL})"/>',
    "fill \\000075rl(": f'<rect width="9" height="9" fill="\\000075rl({EVIL})"/>',
    "fill \\55 RL(": f'<rect width="9" height="9" fill="\\55 RL({EVIL})"/>',
    "stroke u\\72l(": f'<rect width="9" height="9" stroke="u\\72l({EVIL})"/>',
    "stroke ur\\l(": f'<rect width="9" height="9" stroke="ur\\l({EVIL})"/>',
    "stop-color \\75 rl(": (
        f'<linearGradient id="g"><stop stop-color="\\75 rl({EVIL})"/></linearGradient>'
    ),
    "font-family \\75 rl(": f'<text font-family="\\75 rl({EVIL})">hi</text>',
    "transform with an escape": f'<rect width="9" transform="translate(1) \\75 rl({EVIL})"/>',
    "path data with an escape": f'<path d="M0 0 \\75 rl({EVIL})"/>',
    "id with an escape": '<rect id="a\\62 c" width="9"/>',
    "opacity hack": '<rect width="9" opacity="1\\9"/>',
    # The same, spelled with XML character references: decoded before any grammar sees them.
    "fill &#92;75 rl(": f'<rect width="9" fill="&#92;75 rl({EVIL})"/>',
    "fill &#x5c;75 rl(": f'<rect width="9" fill="&#x5c;75 rl({EVIL})"/>',
    "fill &#x75;rl(": f'<rect width="9" fill="&#x75;rl({EVIL})"/>',
    "fill u&#x72;l(": f'<rect width="9" fill="u&#x72;l({EVIL})"/>',
    # Comments, case, other functions: none is a colour, a paint or a number.
    "fill url(/**/": f'<rect width="9" fill="url(/**/{EVIL})"/>',
    "stroke-width with a comment": '<rect width="9" stroke-width="1/**/px"/>',
    "fill URL(": f'<rect width="9" fill="URL({EVIL})"/>',
    "fill url('#g')": '<rect width="9" fill="url(\'#g\')"/>',
    "fill image(": f'<rect width="9" fill="image({EVIL})"/>',
    "fill image-set(": f'<rect width="9" fill="image-set(\'{EVIL}\' 1x)"/>',
    "fill src(": f'<rect width="9" fill="src({EVIL})"/>',
    "fill var(": '<rect width="9" fill="var(--x)"/>',
    "fill attr(": '<rect width="9" fill="attr(href)"/>',
    "fill env(": '<rect width="9" fill="env(x)"/>',
    "fill expression(": '<rect width="9" fill="expression(alert(1))"/>',
    "fill with a declaration after it": f'<rect width="9" fill="red;background:url({EVIL})"/>',
    "fill with a fallback of url": f'<rect width="9" fill="url(#g) url({EVIL})"/>',
    "stop-color currentColor escape": '<stop stop-color="currentColo\\72"/>',
}


@pytest.mark.parametrize("name", sorted(ESCAPED))
def test_a_disguised_reference_in_a_kept_attribute_is_refused(name: str) -> None:
    message = refusal(ESCAPED[name])
    assert message.startswith("sketch SVG refused"), message


def test_the_refusal_names_the_attribute_and_what_it_must_be() -> None:
    message = refusal(f'<rect width="9" fill="\\75 rl({EVIL})"/>')
    assert "fill=" in message and "a colour, none or url(#id)" in message


def test_escapes_in_attributes_that_are_not_kept_are_dropped() -> None:
    # The browser would fetch each of these (tests/test_sketch_render_browser.py); none is kept.
    out = served(
        f'<rect width="9" height="9" style="fill:\\75 rl({EVIL})" class="c"'
        f' filter="\\75 rl({EVIL})" clip-path="\\75 rl({EVIL})" cursor="\\75 rl({EVIL})"/>'
        f'<metadata><x fill="\\75 rl({EVIL})"/></metadata>'
        f'<pattern id="q"><rect fill="\\75 rl({EVIL})"/></pattern>'
    )
    assert out == (
        f'<svg viewBox="0 0 100 100" xmlns="{SVG_NS}"><rect width="9" height="9" /></svg>'
    )


def test_a_style_sheet_with_an_escape_is_refused() -> None:
    assert "escape" in refusal(f"<style>rect {{ fill: \\75 rl({EVIL}) }}</style>")


KEPT = {
    # What drawing programs write, kept as written (whitespace folded to one space).
    '<rect width="210mm" height="29.7cm" x="-1.5e1" y=".5" rx="2%" fill="#FF0000"/>': None,
    '<rect width="1" fill="rgb(10, 20, 30)" stroke="rgba(10%,20%,30%,.5)"/>': None,
    '<rect width="1" fill="hsl(120deg 50% 50% / 0.5)" stroke="hsla(120,50%,50%,0.5)"/>': None,
    '<rect width="1" fill="currentColor" stroke="none" opacity="50%" stroke-width="0.26458"/>': (
        None
    ),
    '<rect width="1" fill="DarkSlateGray" stroke="transparent" stroke-linejoin="round"/>': None,
    '<g transform="matrix(1 0 0 1 0 0) rotate(45, 5 5)translate(-3.5e-2)"><rect width="1"/></g>': (
        None
    ),
    '<path d="m10.5,20 c1-1 2,3 4 5 a5 5 0 0110 10Z" fill-rule="evenodd"/>': None,
    '<polygon points="0,0 10,0 10 10" stroke-linecap="square" stroke-miterlimit="4"/>': None,
    '<text x="1 2 3" dy="1em" font-family="\'Open Sans\', sans-serif" font-size="12px"'
    ' font-weight="bold" text-anchor="middle">Hi</text>': None,
    '<svg x="0" width="50%" preserveAspectRatio="xMidYMid slice" viewBox="0,0,10,10"/>': None,
    '<radialGradient id="r" gradientUnits="userSpaceOnUse" spreadMethod="reflect"'
    ' gradientTransform="scale(2)" fx="0.5" fr="10%"><stop offset="50%" stop-color="#abc"'
    ' stop-opacity=".5"/></radialGradient><circle r="5" fill="url(#r) red" stroke="url( #r )"/>': (
        None
    ),
    '<rect width="\t1\n" fill=" red "/>': '<rect width="1" fill="red" />',
}


def shape(document: str) -> list[tuple[str, dict[str, str], str | None]]:
    return [(e.tag, e.attrib, e.text) for e in fromstring(document).iter()]


@pytest.mark.parametrize("body", list(KEPT))
def test_ordinary_values_are_kept_as_written(body: str) -> None:
    expected = KEPT[body] or body
    assert shape(served(body)) == shape(svg(expected).decode()), served(body)


def test_dash_patterns_are_not_kept() -> None:
    # 8 KB of 0.01-long dashes on circles kept Chromium busy for over a minute.
    out = served('<circle r="40" stroke="red" stroke-dasharray="0.01" stroke-dashoffset="1"/>')
    assert "dash" not in out and '<circle r="40" stroke="red" />' in out


def test_references_to_nothing_in_the_sketch_are_dropped() -> None:
    # Inline in a page, `#logo` and `url(#pattern)` would name the page's own elements.
    out = served(
        '<use href="#logo"/><use href="#u2"/><use id="u2" href="#logo"/>'
        '<path id="p" d="M0 0"/><rect width="1" fill="url(#pattern) red" stroke="url(#p)"/>'
        '<rect width="2" fill="URL(#nowhere)"/>'
        '<use href="#nowhere"><title id="t">held</title></use><use href="#t"/>'
    )
    assert "use" not in out and "url(" not in out and "held" not in out
    assert '<rect width="1" fill="red" stroke="none" />' in out
    assert '<rect width="2" fill="none" />' in out


# --- finding 5: <use> bombs ---------------------------------------------------------------------


def use_bomb(levels: int = 12, fan: int = 10) -> bytes:
    """The probe's: each level repeats the one below `fan` times (fan**levels shapes)."""
    body = '<defs><path id="l0" d="M0 0h9v9z"/>'
    for level in range(1, levels + 1):
        uses = f'<use href="#l{level - 1}"/>' * fan
        body += f'<g id="l{level}">{uses}</g>'
    return svg(body + f'</defs><use href="#l{levels}"/>')


def test_nested_use_bomb_is_refused() -> None:
    bomb = use_bomb()
    assert len(bomb) < 4096  # 3 KB that would ask for 10**12 paths
    too_many = f"<use> elements draw more than {MAX_REFERENCED_ELEMENTS} elements"
    with pytest.raises(InvalidRequest, match=too_many):
        clean_svg(bomb)
    with pytest.raises(InvalidRequest, match=too_many):
        clean_svg(use_bomb(levels=2, fan=8))  # 289 elements more than the file's 22
    clean_svg(use_bomb(levels=1, fan=10))  # 10 + 21 (the group copied) more: 31


@pytest.mark.parametrize(
    "body",
    [
        '<g id="a"><use href="#a"/></g>',
        '<use id="u" href="#u"/>',
        '<g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g>',
        '<use id="x" href="#y"/><use id="y" href="#x"/>',
    ],
)
def test_a_use_cycle_is_refused(body: str) -> None:
    assert "refers to itself or to an ancestor" in refusal(body)


def test_a_use_deeper_than_the_nesting_bound_once_followed_is_refused() -> None:
    def body(depth_of_use: int) -> str:  # the root is at depth 0
        deep = "<g>" * 19 + '<path d="M0 0"/>' + "</g>" * 19  # 20 below #a, 21 in a copy
        use = "<g>" * (depth_of_use - 1) + '<use href="#a"/>' + "</g>" * (depth_of_use - 1)
        return f'<defs><g id="a">{deep}</g></defs>{use}'

    served(body(MAX_DEPTH - 21))  # the <use> at 19, #a copied at 20, its path at 40
    assert "nested deeper than 40 once <use> is followed" in refusal(body(MAX_DEPTH - 20))


def test_a_reused_long_outline_is_refused() -> None:
    numbers = " ".join(["1"] * (MAX_REFERENCED_COORDINATES // 2 + 1))
    body = f'<defs><path id="z" d="M{numbers}"/></defs><use href="#z"/><use href="#z"/>'
    assert "coordinates" in refusal(body)
    served(body.rsplit("<use", 1)[0])  # one copy of it: 501 more numbers, accepted


def test_reused_text_counts_its_characters() -> None:
    body = f'<defs><text id="t">{"W" * MAX_REFERENCED_ELEMENTS}</text></defs><use href="#t"/>'
    assert "elements and characters" in refusal(body)
    served(body.replace("W", "", 1))


@dataclass(frozen=True)
class WorstCase:
    """The costliest drawing references may add, exactly at the budget (one more is refused)."""

    body: str
    more_elements: str  # the same with one element or character of text more
    more_coordinates: str  # the same with one number of outline more


GRADIENT = (
    '<radialGradient id="gr" r="0.01" spreadMethod="reflect"><stop offset="0" stop-color="red"/>'
    '<stop offset="1" stop-color="blue" stop-opacity="0.5"/></radialGradient>'
)
# As costly as one shape can be: covering the page, a gradient fill and a wide gradient stroke
# with round joins, in a group of its own (opacity).
COSTLY = 'fill="url(#gr)" stroke="url(#gr)" stroke-width="25" stroke-linejoin="round" opacity=".7"'


def zigzag(numbers: int) -> str:
    """An outline of `numbers` numbers, each segment crossing the page anywhere."""
    draw = random.Random(7)
    return "M" + " ".join(str(draw.randint(0, 100)) for _ in range(numbers))


def worst_case(kind: str) -> WorstCase:
    """`shapes`: a <use> of a page-sized rectangle per element allowed; `glyphs`: a <use> of a
    text whose every character is a page-sized glyph, all at one place; both with one <use> of
    the longest outline allowed, zig-zagging across the page. The originals are in <defs>, so
    that all that is drawn is what the references add."""

    def build(extra_element: int, extra_number: int) -> str:
        outline = zigzag(MAX_REFERENCED_COORDINATES + extra_number)
        defs = f'{GRADIENT}<path id="z" d="{outline}" fill-rule="evenodd" {COSTLY}/>'
        copies = MAX_REFERENCED_ELEMENTS - 1 + extra_element  # the outline is one
        if kind == "shapes":
            defs += f'<rect id="r" width="100" height="100" {COSTLY}/>'
            uses = '<use href="#r"/>' * copies
        else:  # a text is one element, and each of its characters one more
            glyphs = copies - 1
            at = " ".join(["-10"] * glyphs)
            defs += f'<text id="t" x="{at}" y="90" font-size="150" {COSTLY}>{"W" * glyphs}</text>'
            uses = '<use href="#t"/>'
        return f'<defs>{defs}</defs>{uses}<use href="#z"/>'

    return WorstCase(build(0, 0), build(1, 0), build(0, 1))


@pytest.mark.parametrize("kind", ["shapes", "glyphs"])
def test_the_worst_case_is_exactly_at_the_budget(kind: str) -> None:
    case = worst_case(kind)
    out = served(case.body, ' width="100%" height="100%" preserveAspectRatio="none"')
    assert out.count("<use") == out.count("<use href=") > 0
    assert "elements and characters" in refusal(case.more_elements)
    assert "coordinates" in refusal(case.more_coordinates)


# --- property tests: hostile splices in every value --------------------------------------------

# Values as XML source (in a double-quoted attribute). Each attribute gets a value of its own
# kind, as a drawing program writes it, in any letter case, or the same with hostile pieces
# spliced in anywhere: escapes, character references, comments, functions CSS would act on.
PAINTS = ["red", "#0a0", "none", "url(#g)", "url(#p)", "url(#x) red", "rgb(1,2,3)", "currentColor"]
VALID = {
    **dict.fromkeys(["fill", "stroke"], PAINTS),
    "stop-color": ["red", "#abc", "hsl(1,2%,3%)"],
    "font-family": ["serif", "'Open Sans', sans-serif"],
    "transform": ["translate(1,2)", "scale(2) rotate(3)"],
    "d": ["M0 0L1 1", "m1 1h2v2z"],
    "width": ["1", "10px", "50%"],
    "stroke-width": ["1", "2mm"],
    "opacity": ["0.5", "50%"],
    "points": ["0 0 1 1"],
    "id": ["a", "b.c", "x"],
    "font-size": ["12px", "medium"],
    "offset": ["0", "1"],
    "x": ["1 2", "3"],
    "style": ["fill:red", "stroke: url(#g)"],
    "class": ["c"],
    "filter": ["url(#f)"],
    "clip-path": ["url(#c)"],
    "cursor": ["pointer"],
    "data-x": ["1"],
    **dict.fromkeys(["href", "xlink:href"], ["#p", "#g", "#x", "#a"]),
}
HOSTILE = ["url(", EVIL, "//evil.example/y", "\\75 rl(", "u\\72 l(", "\\", "\\0", "\\a", "/*"]
HOSTILE += ["*/", "/**/", "&#92;", "&#x5c;", "&#x75;", "&#117;", "&#40;", "&#41;", "&amp;"]
HOSTILE += ["&lt;", "&#59;", "&#10;", "&quot;", "'", "@import ", "@font-face", "expression("]
HOSTILE += ["javascript:", "image(", "image-set(", "var(--x)", "attr(x)", "env(x)", "src(", ";"]
HOSTILE += [":", "\t", "!important", "data:", "#x", "url(#g) url(", "url('#g')", "%", " ", ","]
HOSTILE += ["(", ")", "#", "-", ".", f"url({EVIL})", "url(//evil.example/z)", "url(data:,x)"]
HOSTILE += [f"\\75 rl({EVIL})", f"&#x75;rl({EVIL})", "image(#g)", "image(1)", "var(--x, red)"]
REFERENCE = re.compile(r"&#?[0-9A-Za-z]+;")
CASES: list[Callable[[str], str]] = [str, str.upper, str.lower, str.swapcase]
TAGS = ["rect", "path", "text", "g", "use", "polygon", "circle", "svg", "a", "pattern", "image"]


@st.composite
def values(draw: st.DrawFn, name: str) -> str:
    value = draw(st.sampled_from(CASES))(draw(st.sampled_from(VALID[name])))
    if draw(st.integers(0, 3)) == 0:  # one in four is left as it is
        return value
    if draw(st.integers(0, 3)) == 0:  # and one in four of the others is all hostile
        value = ""
    for _ in range(draw(st.integers(1, 3))):
        piece = draw(st.sampled_from(HOSTILE))
        if not REFERENCE.fullmatch(piece):  # a reference's case is not free (&#X5C; is invalid)
            piece = draw(st.sampled_from(CASES))(piece)
        inside = {i for m in REFERENCE.finditer(value) for i in range(m.start() + 1, m.end())}
        at = draw(st.sampled_from([i for i in range(len(value) + 1) if i not in inside]))
        value = value[:at] + piece + value[at:]  # never inside a reference: that is ill-formed
    return value


@st.composite
def hostile_documents(draw: st.DrawFn) -> bytes:
    def attributes(*given: str) -> str:
        kinds = sorted(set(VALID) - set(given))
        names = draw(st.lists(st.sampled_from(kinds), max_size=3, unique=True))
        return "".join(f' {name}="{draw(values(name))}"' for name in names)

    parts = []
    for _ in range(draw(st.integers(0, 4))):
        tag = draw(st.sampled_from(TAGS))
        parts.append(f"<{tag}{attributes()}>hi</{tag}>")
    if draw(st.booleans()):
        comment = draw(values("style"))
        if "--" not in comment and not comment.endswith("-"):
            parts.append(f"<!--{comment}-->")
    if draw(st.booleans()):
        parts.append(f"<style>rect {{ {draw(values('style'))} }}</style>")
    body = (
        f'<defs><linearGradient id="g"><stop offset="0"{attributes("offset")}/></linearGradient>'
        f'</defs><path id="p" d="M0 0 L1 1"{attributes("id", "d")}/>'
        + "".join(draw(st.permutations(parts)))
    )
    return svg(body, attributes())


FUNCTIONS = {"url", "rgb", "rgba", "hsl", "hsla", "matrix", "translate", "scale", "rotate"}
FUNCTIONS |= {"skewx", "skewy"}
LOCAL_URL = re.compile(r"url\( ?#([A-Za-z_][A-Za-z0-9_.-]*) ?\)", re.IGNORECASE)


def assert_self_contained(out: str) -> None:
    """Nothing in a served sketch can make a browser reach outside it, whatever parses it."""
    for amp in re.finditer("&", out):  # only the serialiser's own escapes
        assert out.startswith(("&amp;", "&lt;", "&gt;", "&quot;"), amp.start()), out
    lowered = out.lower()
    for absent in ("\\", "<!--", "<?", "<style", "/*", "*/", "@", "javascript", "expression"):
        assert absent not in lowered, (absent, out)
    root = fromstring(out)
    ids = {element.get("id") for element in root.iter()}
    gradients = {
        element.get("id")
        for element in root.iter()
        if element.tag in (f"{{{SVG_NS}}}linearGradient", f"{{{SVG_NS}}}radialGradient")
    }
    for element in root.iter():
        namespace, tag = element.tag[1:].split("}")
        assert namespace == SVG_NS and tag in ELEMENTS, element.tag
        for name, value in element.attrib.items():
            assert name in ATTRIBUTES or (name == "href" and tag == "use"), name
            assert value.isascii() and value.isprintable(), value
            assert not set(value) & set("\\&<>;:@!*{}[]`$^|~?=\t\n\r"), value
            for function in re.findall(r"([A-Za-z-]*) ?\(", value):
                assert function.lower() in FUNCTIONS, (function, value)
            for found in re.finditer(r"url\(", value, re.IGNORECASE):
                local = LOCAL_URL.match(value, found.start())
                assert local and local[1] in gradients, value
            if name == "href":
                assert re.fullmatch(r"#[A-Za-z_][A-Za-z0-9_.-]*", value) and value[1:] in ids


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_documents())
def test_generated_hostile_values_are_refused_or_served_self_contained(document: bytes) -> None:
    try:
        out = clean_svg(document).data.decode()
    except InvalidRequest:
        return
    assert_self_contained(out)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_documents())
def test_without_the_tripwire_the_grammars_alone_keep_it_self_contained(document: bytes) -> None:
    """The refusal of `url(http...`, `javascript:` and `@import` anywhere is a tripwire for a
    clear answer; what is served is safe because of the grammars alone."""
    tripwire = sketches._external
    sketches._external = lambda value: False
    try:
        out = clean_svg(document).data.decode()
    except InvalidRequest:
        return
    finally:
        sketches._external = tripwire
    assert_self_contained(out)


def test_the_generator_reaches_both_answers() -> None:
    """Not a vacuous property: some generated documents are served, some refused."""
    answers = {"served": 0, "refused": 0}

    @settings(max_examples=300, deadline=None, database=None)
    @given(hostile_documents())
    def count(document: bytes) -> None:
        try:
            clean_svg(document)
            answers["served"] += 1
        except InvalidRequest:
            answers["refused"] += 1

    count()
    assert answers["served"] > 10 and answers["refused"] > 10, answers


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(HOSTILE + PAINTS),
    st.sampled_from(HOSTILE + PAINTS),
    st.sampled_from(["fill", "stroke", "stop-color", "font-family", "transform", "d", "x"]),
)
def test_an_escape_spliced_into_a_kept_value_is_refused(before: str, after: str, name: str) -> None:
    """A CSS escape, spliced anywhere in a kept attribute, never gets through."""
    for escape in ("\\75 rl(", "\\", "&#92;", "/*", "&#x75;rl("):
        value = before + escape + after
        with pytest.raises(InvalidRequest):
            clean_svg(svg(f'<rect width="1" {name}="{value}"/>'))


# --- property tests: the budget against a plain expansion ---------------------------------------


class Cycle(Exception):
    pass


class Huge(Exception):
    pass


@dataclass
class Expansion:
    """What references add to a file, by brute force: every <use> expanded, no memo."""

    elements: int = 0  # beyond the file's own; more than HUGE if `huge`
    coordinates: int = 0
    depth: int = 0  # of the deepest element once expanded, the root at 0
    file_depth: int = 0  # of the deepest element of the file as sent
    cycle: bool = False
    huge: bool = False


HUGE = 3000


def expansion(document: bytes) -> Expansion:
    root = fromstring(document)
    targets: dict[str, ET.Element] = {}
    for element in root.iter():
        targets.setdefault(element.get("id", ""), element)

    def target(use: ET.Element) -> ET.Element | None:
        return targets.get((use.get("href") or "")[1:])

    def weight(element: ET.Element) -> tuple[int, int]:
        if element.tag == f"{{{SVG_NS}}}path":
            return 1, len(re.findall(r"[0-9]+", element.get("d", "")))
        return 1, 0

    def file_depth(element: ET.Element) -> int:
        return 1 + max((file_depth(child) for child in element), default=-1)

    dropped = f"{{{SVG_NS}}}use"  # when it names nothing
    kept = [e for e in root.iter() if e.tag != dropped or target(e) is not None]
    found = Expansion(
        elements=-sum(weight(e)[0] for e in kept),
        coordinates=-sum(weight(e)[1] for e in kept),
        file_depth=file_depth(root),
    )

    def walk(element: ET.Element, ancestors: list[ET.Element]) -> None:
        if any(element is a for a in ancestors):
            raise Cycle
        found.depth = max(found.depth, len(ancestors))
        elements, coordinates = weight(element)
        found.elements += elements
        found.coordinates += coordinates
        if max(found.elements, found.coordinates) > HUGE or len(ancestors) > 2 * MAX_DEPTH:
            raise Huge
        below = list(element)
        if element.tag == f"{{{SVG_NS}}}use":
            below = [t for t in [target(element)] if t is not None]
        for child in below:
            if child.tag != dropped or target(child) is not None:
                walk(child, [*ancestors, element])

    try:
        walk(root, [])
    except Cycle:
        found.cycle = True
    except Huge:
        found.huge = True
    return found


@st.composite
def use_graphs(draw: st.DrawFn) -> bytes:
    """Groups of <use>s of one another (cycles and missing names included), nested or not."""
    groups = draw(st.integers(1, 7))
    names = [f"n{i}" for i in range(groups)] + ["missing"]
    body = ""
    for i in range(groups):
        uses = draw(st.lists(st.sampled_from(names), max_size=6))
        numbers = draw(st.integers(0, 300))
        path = f'<path d="M{" 1" * numbers}"/>' if numbers else ""
        inner = "".join(f'<use href="#{name}"/>' for name in uses) + path
        for _ in range(draw(st.integers(0, 5))):
            inner = f"<g>{inner}</g>"
        body += f'<g id="n{i}">{inner}</g>'
    top = draw(st.lists(st.sampled_from(names), max_size=4))
    return svg(body + "".join(f'<use href="#{name}"/>' for name in top))


@settings(max_examples=600, deadline=None)
@given(use_graphs(), st.integers(-1, 1), st.integers(-1, 1), st.integers(-1, 1))
def test_the_budget_agrees_with_a_plain_expansion(
    document: bytes, elements: int, coordinates: int, depth: int
) -> None:
    """The budget, set one below, at or one above what brute force finds (so that its edges
    are met): refused exactly when the expansion exceeds it, meets a cycle or goes too deep."""
    plain = expansion(document)
    budget = (
        max(0, min(plain.elements, HUGE) + elements),
        max(0, min(plain.coordinates, HUGE) + coordinates),
        min(max(1, plain.depth + depth), MAX_DEPTH),
    )
    expected = (
        plain.cycle
        or plain.huge
        or plain.elements > budget[0]
        or plain.coordinates > budget[1]
        or max(plain.depth, plain.file_depth) > budget[2]
    )
    real = (
        sketches.MAX_REFERENCED_ELEMENTS,
        sketches.MAX_REFERENCED_COORDINATES,
        sketches.MAX_DEPTH,
    )
    (
        sketches.MAX_REFERENCED_ELEMENTS,
        sketches.MAX_REFERENCED_COORDINATES,
        sketches.MAX_DEPTH,
    ) = budget
    try:
        clean_svg(document)
        refused = False
    except InvalidRequest:
        refused = True
    finally:
        (
            sketches.MAX_REFERENCED_ELEMENTS,
            sketches.MAX_REFERENCED_COORDINATES,
            sketches.MAX_DEPTH,
        ) = real
    assert refused == expected, (plain, budget)


def test_the_plain_expansion_agrees_on_the_real_budget() -> None:
    assert (MAX_REFERENCED_ELEMENTS, MAX_REFERENCED_COORDINATES) == (32, 1000)
    bomb = expansion(use_bomb())
    assert bomb.huge
    for kind in ("shapes", "glyphs"):
        case = worst_case(kind)
        at = expansion(svg(case.body))
        assert not (at.cycle or at.huge) and at.coordinates == MAX_REFERENCED_COORDINATES
        if kind == "shapes":  # (the brute force counts no characters)
            assert at.elements == MAX_REFERENCED_ELEMENTS
