"""Small charts drawn on the server as inline SVG: no JavaScript, nothing for the CSP to block.

Colours and sizes are SVG presentation attributes (fill=, font-size=), which the CSP allows; a style=
attribute would be blocked.
"""
from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 18, 34
BAR_COLOUR, AXIS_COLOUR, TEXT_COLOUR = "#7a3e00", "#d0d4d9", "#4d5560"


def _nice_ceiling(value):
    """The smallest of 1, 2, 5, 10, 20, 50... that is at least value (the top of the scale)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _attrs(**attributes):
    return " ".join(f'{name.rstrip("_").replace("_", "-")}="{escape(value)}"'
                    for name, value in attributes.items())


def weekly_bars(weeks, title):
    """A bar chart of [(week start date, count)] as an <svg> element, with a title for screen readers."""
    top_value = _nice_ceiling(max((count for _week, count in weeks), default=0) or 1)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(weeks), 1)
    baseline = TOP + plot_height
    parts = [
        f'<svg class="chart" {_attrs(viewBox=f"0 0 {WIDTH} {HEIGHT}", width=WIDTH, height=HEIGHT)} '
        f'role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<line {_attrs(x1=LEFT, y1=TOP, x2=WIDTH - RIGHT, y2=TOP, stroke=AXIS_COLOUR)}/>',
        f'<line {_attrs(x1=LEFT, y1=baseline, x2=WIDTH - RIGHT, y2=baseline, stroke=AXIS_COLOUR)}/>',
        _text(LEFT - 6, TOP + 4, top_value, anchor="end"),
        _text(LEFT - 6, baseline + 4, 0, anchor="end"),
    ]
    for index, (week, count) in enumerate(weeks):
        bar_height = round(plot_height * count / top_value, 1)
        x = round(LEFT + index * slot + slot * 0.15, 1)
        centre = round(LEFT + (index + 0.5) * slot, 1)
        label = format_date(week, "d MMM")
        tooltip = _("Minggu mulai %(week)s: %(n)d produk disetujui", week=label, n=count)
        geometry = _attrs(x=x, y=round(baseline - bar_height, 1), width=round(slot * 0.7, 1), height=bar_height,
                          fill=BAR_COLOUR)
        parts.append(f'<rect class="bar" {geometry}><title>{escape(tooltip)}</title></rect>')
        if count:
            parts.append(_text(centre, baseline - bar_height - 4, count, anchor="middle"))
        parts.append(_text(centre, HEIGHT - BOTTOM + 16, label, anchor="middle"))
    parts.append("</svg>")
    return Markup("".join(parts))


def _text(x, y, content, anchor):
    return (f'<text {_attrs(x=x, y=y, text_anchor=anchor, font_size=11, fill=TEXT_COLOUR)}>'
            f"{escape(content)}</text>")
