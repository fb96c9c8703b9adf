"""The weekly approvals chart: plain SVG with presentation attributes, nothing the CSP would block."""
import re
from datetime import date, timedelta
from xml.etree import ElementTree

from marketplace.moderation import charts

SVG = "{http://www.w3.org/2000/svg}"


def weeks(counts):
    start = date(2025, 1, 6)
    return [(start + timedelta(weeks=n), count) for n, count in enumerate(counts)]


def bars(svg):
    return ElementTree.fromstring(str(svg)).findall(f"{SVG}rect")


def test_one_bar_per_week_heights_in_proportion(app):
    svg = charts.weekly_bars(weeks([0, 1, 2, 4, 0, 0, 0, 0, 0, 0, 0, 3]), "Disetujui per minggu")
    rects = bars(svg)
    assert len(rects) == 12
    heights = [float(rect.get("height")) for rect in rects]
    assert heights[0] == 0 and heights[3] == max(heights) > 0
    assert heights[2] * 2 == heights[3] and heights[1] * 2 == heights[2]
    assert all(rect.get("fill") == charts.BAR_COLOUR for rect in rects)
    assert [rect.find(f"{SVG}title").text for rect in rects][3] == \
        "Minggu mulai 27 Jan: 4 produk disetujui"


def test_no_style_attributes_and_the_title_is_escaped(app):
    svg = str(charts.weekly_bars(weeks([1] * 12), '<script>alert("x")</script>'))
    assert "style=" not in svg and "<script>" not in svg
    assert ElementTree.fromstring(svg).find(f"{SVG}title").text == '<script>alert("x")</script>'


def test_an_empty_chart_still_draws_its_axes(app):
    svg = charts.weekly_bars(weeks([0] * 12), "Kosong")
    assert all(float(rect.get("height")) == 0 for rect in bars(svg))
    assert re.search(r"<text [^>]*>1</text>", str(svg))  # the scale's top is 1, never 0


def test_scale_tops_are_round_numbers():
    assert [charts._nice_ceiling(n) for n in (1, 3, 7, 11, 23, 99, 120)] == [1, 5, 10, 20, 50, 100, 200]
