"""What several subjects share: a label's caption, heaps, a clear pouch, bowls, a woven tray, cylinders."""
from PIL import Image, ImageDraw

from .drawing import (backdrop, clip, ellipse_shape, glaze, jitter, label_text, mix, mound_points, paint, rounded_shape,
                      shade, shaded)


def caption(title):
    """The first words of a title, short enough for a label."""
    words = title.split()
    return " ".join(words[:2]).upper(), " ".join(words[2:4])


def disc(draw, x, y, r, colour, rng):
    """A piece for pile(): a flat round cracker or chip, lit from the top left."""
    squash = rng.uniform(0.45, 0.9)
    box = [x - r, y - r * squash, x + r, y + r * squash]
    draw.ellipse(box, fill=colour, outline=shade(colour, 0.72), width=max(1, round(r * 0.1)))
    draw.ellipse([x - r * 0.6, y - r * squash * 0.7, x + r * 0.1, y - r * squash * 0.1],
                 fill=mix(colour, (255, 250, 230), 0.3))
    for _ in range(3):  # spice or bubbles on the surface
        sx, sy = x + rng.uniform(-0.6, 0.6) * r, y + rng.uniform(-0.5, 0.5) * r * squash
        draw.ellipse([sx - r * 0.07, sy - r * 0.07, sx + r * 0.07, sy + r * 0.07], fill=shade(colour, 0.8))


def pile(scene, layer, centre_x, base_y, half_width, height, colour, piece, count, size):
    """Heap count pieces drawn by piece(draw, x, y, radius, colour, rng) like a pile poured out."""
    rng = scene.rng
    draw = ImageDraw.Draw(layer)
    for x, y in mound_points(rng, count, centre_x, base_y, half_width, height):
        piece(draw, x, y, size * rng.uniform(0.75, 1.25), shade(colour, rng.uniform(0.82, 1.14)), rng)


def pouch(scene, cx, bottom, width, height, colour, piece, pieces, header, title):
    """A clear stand-up pouch full of pieces, with a coloured printed header and a heat-sealed top."""
    x0, y0 = round(cx - width / 2), round(bottom - height)
    layer = scene.layer()
    inside = scene.layer()
    pile(scene, inside, cx, bottom + width * 0.1, width * 0.7, height * 1.05, colour, piece, pieces, width * 0.08)
    box = (x0, y0, x0 + round(width), round(bottom))
    mask = Image.new("L", (box[2] - x0, box[3] - y0), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, mask.width - 1, mask.height - 1], radius=round(width * 0.07),
                                           fill=255)
    layer.paste(clip(inside.crop(box), mask), (x0, y0))
    film = shaded(mask.size, (200, 210, 215), "cylinder", 0.25).convert("RGBA")
    film.putalpha(mask.point(lambda v: v * 60 // 255))
    layer.alpha_composite(film, (x0, y0))
    ImageDraw.Draw(layer).rounded_rectangle(box, radius=round(width * 0.07), outline=(235, 240, 245, 150),
                                            width=max(2, round(width * 0.008)))
    band = (x0, y0, x0 + width, y0 + height * 0.3)
    paint(layer, band, header, rounded_shape(0.06), kind="cylinder", light=0.25)
    draw = ImageDraw.Draw(layer)
    for k in range(6):  # the heat seal's ridges
        y = y0 + height * 0.012 * (k + 1)
        draw.line([(x0 + 4, y), (x0 + width - 4, y)], fill=shade(header, 0.75), width=2)
    draw.ellipse([cx - width * 0.05, y0 + height * 0.1, cx + width * 0.05, y0 + height * 0.1 + width * 0.1],
                 fill=shade(header, 0.4))
    first, second = caption(title)
    ink = (255, 250, 236) if sum(header) < 420 else (50, 30, 20)
    label_text(layer, (cx, y0 + height * 0.19), first, width * 0.1, ink, width * 0.86)
    label_text(layer, (cx, y0 + height * 0.26), second, width * 0.065, ink, width * 0.86)
    glaze(layer, (x0, y0 + height * 0.32, x0 + width, bottom - width * 0.04), opacity=80, width_fraction=0.08, at=0.12)
    scene.place(layer)


def cylinder(layer, box, colour, top_colour=None):
    """An upright cylinder seen a little from above: shaded side, lighter elliptical top."""
    x0, y0, x1, y1 = box
    lip = (x1 - x0) * 0.28
    paint(layer, (x0, y0 + lip / 2, x1, y1), colour, rounded_shape(0.12))
    paint(layer, (x0, y1 - lip, x1, y1), colour, ellipse_shape)
    paint(layer, (x0, y0, x1, y0 + lip), top_colour or mix(colour, (250, 220, 170), 0.25), ellipse_shape,
          kind="flat")


def bowl(scene, layer, cx, base_y, width, colour, contents=None):
    """A round bowl; contents(layer, box) fills its mouth before the front rim is drawn."""
    height = width * 0.42
    box = (cx - width / 2, base_y - height, cx + width / 2, base_y)
    paint(layer, (box[0], box[1] - height * 0.35, box[2], box[1] + height * 0.35), shade(colour, 0.55), ellipse_shape)
    if contents:
        contents(layer, (box[0] + width * 0.04, box[1] - height * 0.3, box[2] - width * 0.04, box[1] + height * 0.3))
    paint(layer, (box[0], box[1] - height * 0.9, box[2], base_y),
          colour, lambda d, w, h: d.chord([0, 0, w - 1, h - 1], 0, 180, fill=255))


def granules(scene, colour, count, grain):
    """contents for bowl(): a heap of sugar, pepper or powder grains."""
    def fill(layer, box):
        x0, y0, x1, y1 = box
        rise, base = (x1 - x0) * 0.4, y1 - (y1 - y0) * 0.25
        paint(layer, (x0, base - rise, x1, base), colour,
              lambda d, w, h: d.chord([0, 0, w - 1, 2 * h], 180, 360, fill=255))
        draw = ImageDraw.Draw(layer)
        for x, y in mound_points(scene.rng, count, (x0 + x1) / 2, base, (x1 - x0) * 0.5, rise):
            r = grain * scene.rng.uniform(0.6, 1.3)
            tone = shade(colour, scene.rng.uniform(0.7, 1.2))
            draw.ellipse([x - r, y - r, x + r, y + r], fill=tone)
            draw.ellipse([x - r * 0.6, y - r * 0.7, x, y - r * 0.1], fill=mix(tone, (255, 245, 225), 0.4))
    return fill


def tray(scene, layer):
    """A round woven winnowing tray (tampah) lying on the table."""
    px = scene.px
    straw = jitter(scene.rng, (196, 160, 100), 10)
    paint(layer, (px(0.06), px(0.52), px(0.94), px(0.94)), straw, ellipse_shape, kind="flat",
          outline=shade(straw, 0.6))
    draw = ImageDraw.Draw(layer)
    for k in range(1, 9):  # the tray's woven rings
        inset = k * px(0.022)
        draw.ellipse([px(0.06) + inset * 2, px(0.52) + inset, px(0.94) - inset * 2, px(0.94) - inset],
                     outline=shade(straw, 0.82), width=3)


def packet_only(scene, title):
    """A plain pouch of something, for a category without a subject of its own."""
    backdrop(scene)
    pouch(scene, scene.px(0.5), scene.px(0.85), scene.px(0.42), scene.px(0.58), (200, 170, 120), disc, 120,
          jitter(scene.rng, (60, 110, 80)), title)
