from hypothesis import given, settings
from hypothesis import strategies as st

from geo.bounds import Bounds, boxes_intersect, degree_box, split_at_antimeridian
from geo.coords import LatLon
from tests.support.geo import destination, point_strategy


def in_box(p: LatLon, box: Bounds) -> bool:
    return any(
        minlon <= p.lon <= maxlon and minlat <= p.lat <= maxlat
        for minlon, minlat, maxlon, maxlat in split_at_antimeridian(box)
    )


@settings(max_examples=200, deadline=None)
@given(
    point_strategy(),
    st.one_of(st.floats(0.0, 5_000.0), st.floats(0.0, 3_000_000.0)),
    st.floats(-180.0, 180.0),
    st.floats(0.0, 1.0),
)
def test_degree_box_holds_every_point_within_the_radius(
    center: LatLon, radius: float, azimuth: float, fraction: float
) -> None:
    box = degree_box(center, radius)
    assert in_box(destination(center, azimuth, radius * fraction), box)
    assert -90.0 <= box[1] <= box[3] <= 90.0
    assert all(-180.0 <= lon <= 180.0 for lon in (box[0], box[2]))


def test_degree_box_across_the_antimeridian_and_at_a_pole() -> None:
    minlon, _, maxlon, _ = degree_box(LatLon(0.0, 179.999), 1000.0)
    assert minlon > maxlon
    assert degree_box(LatLon(89.999, 10.0), 1000.0)[::2] == (-180.0, 180.0)
    assert degree_box(LatLon(89.999, 10.0), 1000.0)[3] == 90.0


def test_degree_box_is_not_wastefully_loose() -> None:
    minlon, minlat, maxlon, maxlat = degree_box(LatLon(48.0, 2.0), 1000.0)
    assert maxlat - minlat < 2 * 1000.0 / 110_000
    assert maxlon - minlon < 2 * 1000.0 / 74_000


def test_split_and_intersect() -> None:
    crossing = (179.0, -1.0, -179.0, 1.0)
    assert split_at_antimeridian(crossing) == [
        (179.0, -1.0, 180.0, 1.0),
        (-180.0, -1.0, -179.0, 1.0),
    ]
    assert boxes_intersect(crossing, (-179.5, 0.0, -179.2, 0.5))
    assert boxes_intersect(crossing, (179.5, 0.0, 179.7, 0.5))
    assert not boxes_intersect(crossing, (0.0, 0.0, 1.0, 1.0))
    assert not boxes_intersect((0.0, 0.0, 1.0, 1.0), (0.0, 1.5, 1.0, 2.0))
    assert boxes_intersect((0.0, 0.0, 1.0, 1.0), (1.0, 1.0, 2.0, 2.0))
