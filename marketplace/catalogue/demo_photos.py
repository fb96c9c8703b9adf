"""Drawn stand-ins for producers' photos: one recognisable subject per category (honey bottles by a honeycomb,
curly amplang in a clear pouch, palm sugar cylinders, a kraft coffee bag with beans, woven cloth, rattan
baskets, cinnamon sticks...), each product arranged, coloured and lit its own way from a seed of its title."""
import hashlib
import math
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from .demo_drawing import (Scene, backdrop, clip, ellipse_shape, glaze, jitter, label_text, mix, mound_points, paint,
                           rotated, rounded_shape, shade, shaded)


def demo_photo(title, category_slug, size=800):
    """JPEG bytes of a square drawn photo of the product: the same title always gives the same picture."""
    rng = random.Random(hashlib.sha256(f"{category_slug}:{title}".encode()).digest())
    scene = Scene(rng, size)
    SUBJECTS.get(category_slug, _packet_only)(scene, title.lower())
    return scene.finish()


def _caption(title):
    """The first words of a title, short enough for a label."""
    words = title.split()
    return " ".join(words[:2]).upper(), " ".join(words[2:4])


# Honey: bottles or a jar of honey, with a piece of honeycomb in front.

def _bottle(scene, layer, cx, bottom, width, height, liquid, cap, paper, title, jar=False):
    body_top = bottom - height * (1.0 if jar else 0.78)
    x0, x1 = cx - width / 2, cx + width / 2
    neck_w = width * (0.8 if jar else 0.36)
    if not jar:
        paint(layer, (cx - neck_w / 2, bottom - height, cx + neck_w / 2, body_top + width * 0.1),
              mix(liquid, (250, 240, 220), 0.2), rounded_shape(0.1))
    paint(layer, (x0, body_top, x1, bottom), liquid, rounded_shape(0.18 if jar else 0.28))
    lid_h = height * (0.11 if jar else 0.09)
    lid_w = width * 0.86 if jar else neck_w * 1.15
    lid_top = (body_top if jar else bottom - height) - lid_h * 0.8
    paint(layer, (cx - lid_w / 2, lid_top, cx + lid_w / 2, lid_top + lid_h), cap, rounded_shape(0.15))
    band = (x0, body_top + (bottom - body_top) * 0.3, x1, body_top + (bottom - body_top) * 0.72)
    paint(layer, band, paper, lambda d, w, h: d.rectangle([0, 0, w, h], fill=255))
    first, second = _caption(title)
    ink = shade(paper, 0.35)
    label_text(layer, (cx, band[1] + (band[3] - band[1]) * 0.38), first, width * 0.13, ink, width * 0.86)
    label_text(layer, (cx, band[1] + (band[3] - band[1]) * 0.7), second, width * 0.09, ink, width * 0.86)
    glaze(layer, (x0, body_top + width * 0.05, x1, bottom - width * 0.05), opacity=90)


def _honeycomb(scene, layer, box):
    """A slab cut from a comb: hexagonal cells, some still capped with wax, on a thick waxy edge."""
    rng = scene.rng
    x0, y0, x1, y1 = (round(v) for v in box)
    width, height = x1 - x0, y1 - y0
    paint(layer, (x0, y0 + height * 0.2, x1, y1), jitter(rng, (170, 108, 24), 8), rounded_shape(0.3), kind="flat")
    comb = Image.new("RGBA", (width, round(height * 0.82)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(comb)
    radius = width / rng.uniform(15, 19)
    wax = jitter(rng, (226, 164, 44), 10)
    for row in range(int(comb.height / (radius * 1.5)) + 2):
        for col in range(int(width / (radius * 1.73)) + 2):
            cx, cy = col * radius * 1.73 + (row % 2) * radius * 0.87, row * radius * 1.5
            capped = rng.random() < 0.35
            cell = mix(wax, (250, 232, 170), 0.5) if capped else shade(wax, rng.uniform(0.78, 1.05))
            draw.regular_polygon((cx, cy, radius), 6, rotation=30, fill=shade(wax, 0.7))
            draw.regular_polygon((cx, cy, radius * 0.8), 6, rotation=30, fill=cell)
            if not capped:
                draw.ellipse([cx - radius * 0.4, cy - radius * 0.45, cx - radius * 0.05, cy - radius * 0.15],
                             fill=mix(cell, (255, 250, 225), 0.6))
    mask = Image.new("L", comb.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, comb.width - 1, comb.height - 1], radius=round(comb.height * 0.3),
                                           fill=255)
    layer.paste(clip(comb, mask), (x0, y0), mask)


def _honey(scene, title):
    rng, px = scene.rng, scene.px
    backdrop(scene)
    layer = scene.layer()
    dark = "hitam" in title or "hutan" in title
    liquid = jitter(rng, (92, 44, 12) if dark else rng.choice([(204, 128, 22), (226, 160, 40), (178, 96, 18)]), 10)
    cap = jitter(rng, rng.choice([(170, 40, 30), (200, 160, 60), (40, 40, 40), (120, 80, 40)]), 10)
    paper = jitter(rng, rng.choice([(246, 238, 214), (230, 210, 170), (240, 232, 200)]), 6)
    jar = "sarang" in title or "toples" in title
    count = 1 if jar else rng.choice([1, 2, 3])
    bottom = px(rng.uniform(0.8, 0.86))
    for i in range(count):
        width = px(0.36 if jar else rng.uniform(0.2, 0.25)) * (1 - 0.12 * i)
        cx = px(0.5 + (i - (count - 1) / 2) * 0.27 + rng.uniform(-0.04, 0.04))
        _bottle(scene, layer, cx, bottom - px(0.05) * (count - 1 - i), width, width * (1.25 if jar else 2.3),
                liquid, cap, paper, title, jar=jar)
    scene.place(layer)
    front = scene.layer()
    w = px(rng.uniform(0.3, 0.36))
    left = px(rng.choice([0.04, 0.62]) + rng.uniform(0, 0.03))
    _honeycomb(scene, front, (left, px(0.76), left + w, px(0.76) + w * 0.42))
    scene.place(front, blur=0.01)


# Crackers and chips: heaps of curls, discs or slices, in a clear pouch with a printed header.

def _curl(draw, x, y, r, colour, rng):
    start = rng.uniform(0, 360)
    sweep = rng.uniform(200, 300)
    draw.arc([x - r, y - r * 0.7, x + r, y + r * 0.7], start, start + sweep, fill=shade(colour, 0.7), width=round(r * 0.7))
    draw.arc([x - r, y - r * 0.7, x + r, y + r * 0.7], start + 10, start + sweep - 10, fill=colour, width=round(r * 0.45))
    draw.arc([x - r * 0.9, y - r * 0.6, x + r * 0.9, y + r * 0.5], start + 40, start + 90,
             fill=mix(colour, (255, 250, 235), 0.55), width=max(1, round(r * 0.12)))


def _disc(draw, x, y, r, colour, rng):
    squash = rng.uniform(0.45, 0.9)
    box = [x - r, y - r * squash, x + r, y + r * squash]
    draw.ellipse(box, fill=colour, outline=shade(colour, 0.72), width=max(1, round(r * 0.1)))
    draw.ellipse([x - r * 0.6, y - r * squash * 0.7, x + r * 0.1, y - r * squash * 0.1],
                 fill=mix(colour, (255, 250, 230), 0.3))
    for _ in range(3):  # spice or bubbles on the surface
        sx, sy = x + rng.uniform(-0.6, 0.6) * r, y + rng.uniform(-0.5, 0.5) * r * squash
        draw.ellipse([sx - r * 0.07, sy - r * 0.07, sx + r * 0.07, sy + r * 0.07], fill=shade(colour, 0.8))


def _pile(scene, layer, centre_x, base_y, half_width, height, colour, piece, count, size):
    rng = scene.rng
    draw = ImageDraw.Draw(layer)
    for x, y in mound_points(rng, count, centre_x, base_y, half_width, height):
        piece(draw, x, y, size * rng.uniform(0.75, 1.25), shade(colour, rng.uniform(0.82, 1.14)), rng)


def _pouch(scene, cx, bottom, width, height, colour, piece, pieces, header, title):
    """A clear stand-up pouch full of pieces, with a coloured printed header and a heat-sealed top."""
    rng = scene.rng
    x0, y0 = round(cx - width / 2), round(bottom - height)
    layer = scene.layer()
    inside = scene.layer()
    _pile(scene, inside, cx, bottom + width * 0.1, width * 0.7, height * 1.05, colour, piece, pieces, width * 0.08)
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
    first, second = _caption(title)
    ink = (255, 250, 236) if sum(header) < 420 else (50, 30, 20)
    label_text(layer, (cx, y0 + height * 0.19), first, width * 0.1, ink, width * 0.86)
    label_text(layer, (cx, y0 + height * 0.26), second, width * 0.065, ink, width * 0.86)
    glaze(layer, (x0, y0 + height * 0.32, x0 + width, bottom - width * 0.04), opacity=80, width_fraction=0.08, at=0.12)
    scene.place(layer)


CHIPS = {  # what each kind of cracker or chip looks like: (colour, piece)
    "amplang": ((222, 196, 150), _curl),
    "udang": ((236, 160, 140), _disc),
    "ikan": ((232, 222, 204), _disc),
    "pisang": ((226, 186, 84), _disc),
    "singkong": ((238, 214, 150), _disc),
}


def _chips(scene, title):
    """Crackers in a clear pouch with a few spilled; chips heaped on a woven tray."""
    rng, px = scene.rng, scene.px
    backdrop(scene)
    kind = next((k for k in CHIPS if k in title), "amplang" if "amplang" in title else "pisang")
    colour, piece = CHIPS[kind]
    if "pedas" in title or "balado" in title:
        colour = mix(colour, (200, 70, 30), 0.45)
    if "keripik" in title:
        layer = scene.layer()
        _tray(scene, layer)
        _pile(scene, layer, px(0.5 + rng.uniform(-0.05, 0.05)), px(0.86), px(0.34), px(0.24), colour, piece, 200,
              px(0.055))
        scene.place(layer)
        return
    header = jitter(rng, rng.choice([(176, 36, 40), (24, 96, 70), (230, 170, 40), (40, 70, 140), (120, 40, 90)]), 10)
    right = rng.random() < 0.5
    width = px(rng.uniform(0.38, 0.46))
    cx = px(0.62 if right else 0.38) + px(rng.uniform(-0.04, 0.04))
    _pouch(scene, cx, px(0.84), width, width * 1.35, colour, piece, 150, header, title)
    spill = scene.layer()
    _pile(scene, spill, px(0.24 if right else 0.76), px(0.9), px(0.2), px(0.1), colour, piece, 38, px(0.042))
    scene.place(spill, shadow=0.3, blur=0.008)


def _packet_only(scene, title):
    backdrop(scene)
    _pouch(scene, scene.px(0.5), scene.px(0.85), scene.px(0.42), scene.px(0.58), (200, 170, 120), _disc, 120,
           jitter(scene.rng, (60, 110, 80)), title)



# Sugar: palm sugar cast as cylinders or coconut-shell domes, or loose granules in a bowl.

def _cylinder(layer, box, colour, top_colour=None):
    """An upright cylinder seen a little from above: shaded side, lighter elliptical top."""
    x0, y0, x1, y1 = box
    lip = (x1 - x0) * 0.28
    paint(layer, (x0, y0 + lip / 2, x1, y1), colour, rounded_shape(0.12))
    paint(layer, (x0, y1 - lip, x1, y1), colour, ellipse_shape)
    paint(layer, (x0, y0, x1, y0 + lip), top_colour or mix(colour, (250, 220, 170), 0.25), ellipse_shape,
          kind="flat")


def _bowl(scene, layer, cx, base_y, width, colour, contents=None):
    """A round bowl; contents(layer, box) fills its mouth before the front rim is drawn."""
    height = width * 0.42
    box = (cx - width / 2, base_y - height, cx + width / 2, base_y)
    paint(layer, (box[0], box[1] - height * 0.35, box[2], box[1] + height * 0.35), shade(colour, 0.55), ellipse_shape)
    if contents:
        contents(layer, (box[0] + width * 0.04, box[1] - height * 0.3, box[2] - width * 0.04, box[1] + height * 0.3))
    paint(layer, (box[0], box[1] - height * 0.9, box[2], base_y),
          colour, lambda d, w, h: d.chord([0, 0, w - 1, h - 1], 0, 180, fill=255))


def _granules(scene, colour, count, grain):
    """contents for _bowl(): a heap of sugar, pepper or powder grains."""
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


def _sugar(scene, title):
    rng, px = scene.rng, scene.px
    backdrop(scene)
    layer = scene.layer()
    brown = jitter(rng, (118, 62, 24) if "kelapa" not in title else (150, 88, 40), 12)
    if "semut" in title:
        _bowl(scene, layer, px(0.5 + rng.uniform(-0.08, 0.08)), px(0.84), px(0.56),
              jitter(rng, rng.choice([(120, 80, 50), (236, 232, 222), (60, 90, 120)]), 8),
              _granules(scene, mix(brown, (200, 140, 70), 0.35), 700, px(0.009)))
    else:
        w = px(rng.uniform(0.2, 0.24))
        places = [(0.5, 0.0), (0.5 - 0.21, 0.03), (0.5 + 0.21, 0.03), (0.39, -0.22), (0.61, -0.22), (0.5, -0.44)]
        stack = sorted(places[:rng.choice([5, 6])], key=lambda p: (p[1], p[0]))
        base = px(0.86)
        for fx, dy in stack:
            cx = px(fx + rng.uniform(-0.02, 0.02))
            bottom = base + px(dy * 0.55) - (px(0.05) if dy == 0.0 and (0.5 - 0.21, 0.03) in stack else 0)
            _cylinder(layer, (cx - w / 2, bottom - w * 0.62, cx + w / 2, bottom), jitter(rng, brown, 10))
    scene.place(layer)


# Coffee: a kraft paper bag with a window and a label, roasted beans or ground coffee in front.

def _bean(draw, x, y, r, colour, rng):
    tilt = rng.uniform(0.55, 0.8)
    draw.ellipse([x - r, y - r * tilt, x + r, y + r * tilt], fill=colour, outline=shade(colour, 0.6))
    draw.arc([x - r * 0.9, y - r * tilt * 0.4, x + r * 0.9, y + r * tilt * 0.4], 190, 350,
             fill=shade(colour, 0.45), width=max(1, round(r * 0.16)))
    draw.ellipse([x - r * 0.7, y - r * tilt * 0.9, x - r * 0.1, y - r * tilt * 0.4], fill=mix(colour, (230, 200, 170), 0.3))


def _kraft_bag(scene, layer, cx, bottom, width, height, paper, label, title, window_colour):
    x0, x1, y0 = cx - width / 2, cx + width / 2, bottom - height
    paint(layer, (x0, y0, x1, bottom), paper, lambda d, w, h: d.polygon(
        [(w * 0.04, 0), (w * 0.96, 0), (w, h * 0.12), (w, h), (0, h), (0, h * 0.12)], fill=255), kind="flat")
    draw = ImageDraw.Draw(layer)
    for k in range(3):  # the rolled-down top
        y = y0 + height * (0.05 + 0.035 * k)
        draw.line([(x0 + 4, y), (x1 - 4, y)], fill=shade(paper, 0.7), width=max(2, round(height * 0.006)))
    band = (x0 + width * 0.12, y0 + height * 0.25, x1 - width * 0.12, y0 + height * 0.55)
    paint(layer, band, label, rounded_shape(0.08), kind="flat")
    first, second = _caption(title)
    ink = (250, 244, 230) if sum(label) < 420 else (40, 26, 16)
    label_text(layer, (cx, band[1] + (band[3] - band[1]) * 0.4), first, width * 0.1, ink, width * 0.68)
    label_text(layer, (cx, band[1] + (band[3] - band[1]) * 0.72), second, width * 0.07, ink, width * 0.68)
    window = (cx - width * 0.22, y0 + height * 0.64, cx + width * 0.22, y0 + height * 0.86)
    paint(layer, window, window_colour, rounded_shape(0.5))
    beans = Image.new("RGBA", (round(window[2] - window[0]), round(window[3] - window[1])), (0, 0, 0, 0))
    bean_draw = ImageDraw.Draw(beans)
    for _ in range(40):
        _bean(bean_draw, scene.rng.uniform(0, beans.width), scene.rng.uniform(0, beans.height), width * 0.05,
              shade(window_colour, scene.rng.uniform(0.8, 1.3)), scene.rng)
    mask = Image.new("L", beans.size, 0)
    rounded_shape(0.5)(ImageDraw.Draw(mask), *beans.size)
    layer.alpha_composite(clip(beans, mask), (round(window[0]), round(window[1])))
    glaze(layer, window, opacity=90, width_fraction=0.2, at=0.15)


def _coffee(scene, title):
    rng, px = scene.rng, scene.px
    backdrop(scene)
    layer = scene.layer()
    roast = jitter(rng, (78, 44, 24), 10)
    paper = jitter(rng, rng.choice([(190, 150, 100), (176, 132, 86), (60, 56, 54), (214, 196, 170)]), 8)
    label = jitter(rng, rng.choice([(150, 40, 30), (30, 70, 60), (236, 220, 180), (40, 40, 40)]), 8)
    right = rng.random() < 0.5
    width = px(rng.uniform(0.34, 0.4))
    _kraft_bag(scene, layer, px(0.66 if right else 0.34), px(0.82), width, width * 1.6, paper, label, title, roast)
    scene.place(layer)
    front = scene.layer()
    if "bubuk" in title:
        _bowl(scene, front, px(0.3 if right else 0.7), px(0.9), px(0.36), jitter(rng, (236, 230, 220), 6),
              _granules(scene, mix(roast, (120, 80, 50), 0.3), 500, px(0.006)))
    else:
        _pile(scene, front, px(0.3 if right else 0.7), px(0.93), px(0.22), px(0.14), roast, _bean, 90, px(0.032))
    scene.place(front, blur=0.01)


# Lempok and dodol: glossy logs wrapped in plastic with twisted ends, on a banana leaf, one cut open.

def _dodol(scene, title):
    rng, px = scene.rng, scene.px
    backdrop(scene, rng.choice(["leaf", "leaf", "wood"]))
    colour = (46, 30, 22) if "hitam" in title else (150, 92, 36) if "cempedak" in title else (112, 70, 30)
    colour = jitter(rng, colour, 10)
    layer = scene.layer()
    count = rng.choice([3, 4])
    length, thick = px(rng.uniform(0.5, 0.62)), px(rng.uniform(0.1, 0.13))
    for i in range(count):
        cx = px(0.5 + rng.uniform(-0.05, 0.05))
        cy = px(0.62) + i * thick * 0.9
        x0, x1 = cx - length / 2, cx + length / 2
        for end, sign in ((x0, -1), (x1, 1)):  # the twisted plastic ends
            ImageDraw.Draw(layer).polygon([(end, cy - thick * 0.3), (end + sign * thick * 0.7, cy - thick * 0.55),
                                           (end + sign * thick * 0.7, cy + thick * 0.55), (end, cy + thick * 0.3)],
                                          fill=(236, 236, 232, 170))
        paint(layer, (x0, cy - thick / 2, x1, cy + thick / 2), colour, rounded_shape(0.5), kind="flat")
        sheen = Image.new("L", (round(length), round(thick)), 0)
        ImageDraw.Draw(sheen).rounded_rectangle([thick * 0.3, thick * 0.18, length - thick * 0.3, thick * 0.34],
                                                radius=round(thick * 0.08), fill=110)
        layer.paste((255, 250, 240), (round(x0), round(cy - thick / 2)), sheen)
    scene.place(layer)
    cut = scene.layer()
    for k in range(rng.choice([2, 3])):  # slices of a cut log
        x, y, r = px(0.22 + 0.17 * k + rng.uniform(-0.02, 0.02)), px(0.88), px(0.065)
        paint(cut, (x - r, y - r * 0.75, x + r, y + r * 0.75), mix(colour, (200, 150, 80), 0.2), ellipse_shape,
              kind="flat", outline=shade(colour, 0.6))
    scene.place(cut, blur=0.008)


# Fish: smoked or salted fish laid on a round woven tray, or fish floss heaped in a bowl.

def _fish(layer, cx, cy, length, colour, angle):
    fish = Image.new("RGBA", (round(length * 1.3), round(length * 0.5)), (0, 0, 0, 0))
    w, h = fish.size
    body = (w * 0.02, h * 0.2, w * 0.8, h * 0.8)
    paint(fish, body, colour, ellipse_shape, kind="flat")
    tail = [(w * 0.76, h * 0.5), (w * 0.98, h * 0.15), (w * 0.94, h * 0.5), (w * 0.98, h * 0.85)]
    ImageDraw.Draw(fish).polygon(tail, fill=shade(colour, 0.8) + (255,))
    draw = ImageDraw.Draw(fish)
    draw.ellipse([w * 0.1, h * 0.38, w * 0.16, h * 0.48], fill=(30, 24, 20, 255))
    draw.arc([w * 0.14, h * 0.28, w * 0.3, h * 0.72], 300, 60, fill=shade(colour, 0.6) + (255,), width=3)
    for k in range(5):
        x = w * (0.32 + 0.08 * k)
        draw.line([(x, h * 0.3), (x + w * 0.04, h * 0.5), (x, h * 0.7)], fill=shade(colour, 0.75) + (255,), width=2)
    fish = fish.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
    layer.alpha_composite(fish, (round(cx - fish.width / 2), round(cy - fish.height / 2)))


def _floss(scene, colour):
    def fill(layer, box):
        x0, y0, x1, y1 = box
        draw = ImageDraw.Draw(layer)
        rise, base = (x1 - x0) * 0.4, y1 - (y1 - y0) * 0.25
        paint(layer, (x0, base - rise, x1, base), shade(colour, 0.8),
              lambda d, w, h: d.chord([0, 0, w - 1, 2 * h], 180, 360, fill=255))
        for x, y in mound_points(scene.rng, 1600, (x0 + x1) / 2, base, (x1 - x0) * 0.5, rise):
            length = (x1 - x0) * 0.035
            a = scene.rng.uniform(0, math.tau)
            draw.line([(x, y), (x + math.cos(a) * length, y + math.sin(a) * length * 0.5)],
                      fill=shade(colour, scene.rng.uniform(0.7, 1.25)), width=3)
    return fill


def _tray(scene, layer):
    """A round woven winnowing tray (tampah) lying on the table."""
    px = scene.px
    tray = jitter(scene.rng, (196, 160, 100), 10)
    paint(layer, (px(0.06), px(0.52), px(0.94), px(0.94)), tray, ellipse_shape, kind="flat",
          outline=shade(tray, 0.6))
    draw = ImageDraw.Draw(layer)
    for k in range(1, 9):  # the tray's woven rings
        inset = k * px(0.022)
        draw.ellipse([px(0.06) + inset * 2, px(0.52) + inset, px(0.94) - inset * 2, px(0.94) - inset],
                     outline=shade(tray, 0.82), width=3)


def _fish_products(scene, title):
    rng, px = scene.rng, scene.px
    backdrop(scene)
    layer = scene.layer()
    if "abon" in title:
        _bowl(scene, layer, px(0.5 + rng.uniform(-0.06, 0.06)), px(0.86), px(0.62),
              jitter(rng, rng.choice([(236, 232, 222), (110, 70, 40), (170, 60, 40)]), 8),
              _floss(scene, jitter(rng, (176, 112, 50), 10)))
        scene.place(layer)
        return
    _tray(scene, layer)
    colour = jitter(rng, (120, 84, 50) if "salai" in title else (176, 176, 168), 10)
    for i in range(rng.choice([4, 5, 6])):
        _fish(layer, px(0.5 + rng.uniform(-0.16, 0.16)), px(0.62 + i * 0.05), px(rng.uniform(0.42, 0.5)),
              jitter(rng, colour, 8), rng.uniform(-15, 15))
    scene.place(layer)



# Cloth: ulap doyo, its bands of diamonds, zigzags and hooks woven into the fibre, hung from a bamboo pole or
# folded on the table.

def _weave_texture(image, colour, step):
    """The over-and-under of warp and weft: fine darker lines both ways."""
    draw = ImageDraw.Draw(image)
    for x in range(0, image.width, step):
        draw.line([(x, 0), (x, image.height)], fill=shade(colour, 0.8))
    for y in range(0, image.height, step * 2):
        draw.line([(0, y), (image.width, y)], fill=shade(colour, 0.86))


def _cloth_pattern(rng, width, height):
    base = jitter(rng, rng.choice([(214, 190, 150), (150, 40, 32), (40, 34, 30), (196, 160, 110)]), 10)
    inks = [jitter(rng, c, 10) for c in rng.sample([(150, 40, 32), (30, 26, 24), (226, 206, 164), (176, 120, 40),
                                                   (60, 80, 110)], 3)]
    inks = [ink for ink in inks if abs(sum(ink) - sum(base)) > 90] or [(250, 240, 220)]
    cloth = Image.new("RGB", (width, height), base)
    draw = ImageDraw.Draw(cloth)
    y = rng.randint(0, height // 12)
    while y < height:
        band = rng.randint(height // 14, height // 7)
        ink = rng.choice(inks)
        motif = rng.choice(["diamonds", "zigzag", "hooks", "stripes"])
        step = band
        if motif == "stripes":
            for k in range(3):
                draw.rectangle([0, y + k * band // 3, width, y + k * band // 3 + band // 9], fill=ink)
        for x in range(-step, width + step, step):
            cx, cy = x + step / 2, y + band / 2
            if motif == "diamonds":
                draw.polygon([(cx, y), (x + step, cy), (cx, y + band), (x, cy)], fill=ink)
                draw.polygon([(cx, y + band * 0.3), (x + step * 0.8, cy), (cx, y + band * 0.7), (x + step * 0.2, cy)],
                             fill=base)
                draw.rectangle([cx - band * 0.06, cy - band * 0.06, cx + band * 0.06, cy + band * 0.06], fill=ink)
            elif motif == "zigzag":
                draw.line([(x, y + band * 0.8), (cx, y + band * 0.2), (x + step, y + band * 0.8)], fill=ink,
                          width=max(3, band // 8))
            elif motif == "hooks":  # the curling hooks of the dragon motif
                draw.arc([x, y, cx, cy + band / 2], 180, 360, fill=ink, width=max(3, band // 9))
                draw.arc([cx, y, x + step, cy + band / 2], 0, 180, fill=ink, width=max(3, band // 9))
                draw.ellipse([cx - band * 0.08, cy - band * 0.08, cx + band * 0.08, cy + band * 0.08], fill=ink)
        draw.line([(0, y + band + 4), (width, y + band + 4)], fill=rng.choice(inks), width=max(2, band // 14))
        y += band + rng.randint(height // 30, height // 12)
    _weave_texture(cloth, base, max(3, width // 240))
    return cloth


def _folds(image, rng, count):
    """Soft vertical folds: the cloth lighter where it faces the light."""
    width, height = image.size
    values = [round(200 + 55 * math.sin(x / width * math.tau * count + rng.uniform(0, 0.01)) ** 3)
              for x in range(256)]
    strip = Image.new("L", (256, 1))
    strip.putdata([max(0, min(255, v)) for v in values])
    light = strip.resize((width, height), Image.Resampling.BILINEAR)
    return ImageChops.multiply(image, Image.merge("RGB", (light, light, light)))


def _cloth(scene, title):
    rng, px = scene.rng, scene.px
    backdrop(scene, rng.choice(["wood", "linen", "mat"]))
    layer = scene.layer()
    if "selendang" in title:  # folded on the table, one fold over another
        width = px(rng.uniform(0.62, 0.72))
        for k in range(3):
            fold = _cloth_pattern(rng, width, px(0.16))
            x = px(0.5) - width // 2 + px(rng.uniform(-0.03, 0.03))
            y = px(0.56 + k * 0.1)
            layer.paste(_folds(fold, rng, 1.3), (x, y))
            ImageDraw.Draw(layer).line([(x, y + px(0.16)), (x + width, y + px(0.16))], fill=(30, 20, 14, 255),
                                       width=4)
    else:  # hung from a bamboo pole
        width, height = px(rng.uniform(0.62, 0.74)), px(rng.uniform(0.64, 0.7))
        x, y = px(0.5) - width // 2, px(0.15)
        cloth = _folds(_cloth_pattern(rng, width, height), rng, rng.uniform(2.5, 4.5))
        layer.paste(cloth, (x, y))
        draw = ImageDraw.Draw(layer)
        for fx in range(x, x + width, 6):  # the fringe of loose threads
            draw.line([(fx, y + height), (fx + rng.randint(-3, 3), y + height + px(0.035))],
                      fill=shade(cloth.getpixel((fx - x, height - 1)), 0.9) + (255,), width=3)
        pole = jitter(rng, (196, 168, 90), 8)
        bar = shaded((px(0.045), px(0.9)), pole).transpose(Image.Transpose.ROTATE_90)
        layer.paste(bar, (px(0.05), y - px(0.035)))
    scene.place(layer, offset=(0.02, 0.02), blur=0.025)


# Weaving: rattan and purun baskets, bags and rolled mats, with their over-and-under strips.

def _basketwork(size, colour, rng, cell):
    """A woven surface: strips going alternately across and down."""
    image = Image.new("RGB", size, shade(colour, 0.5))
    draw = ImageDraw.Draw(image)
    for row, y in enumerate(range(0, size[1], cell)):
        for col, x in enumerate(range(0, size[0], cell)):
            tone = shade(colour, rng.uniform(0.88, 1.1))
            draw.rectangle([x + 1, y + 1, x + cell - 2, y + cell - 2], fill=tone)
            if (row + col) % 2:
                draw.line([(x + 2, y + cell // 3), (x + cell - 3, y + cell // 3)], fill=mix(tone, (255, 240, 210), 0.3),
                          width=max(1, cell // 8))
            else:
                draw.line([(x + cell // 3, y + 2), (x + cell // 3, y + cell - 3)], fill=mix(tone, (255, 240, 210), 0.3),
                          width=max(1, cell // 8))
    return image


def _woven_shape(layer, box, colour, rng, cell, draw_shape):
    x0, y0, x1, y1 = (round(v) for v in box)
    size = (x1 - x0, y1 - y0)
    surface = ImageChops.multiply(_basketwork(size, colour, rng, cell), shaded(size, (205, 205, 205)))
    surface = surface.point(lambda v: min(255, v * 5 // 4))
    mask = Image.new("L", size, 0)
    draw_shape(ImageDraw.Draw(mask), *size)
    layer.paste(surface, (x0, y0), mask)


def _weaving(scene, title):
    rng, px = scene.rng, scene.px
    backdrop(scene)
    layer = scene.layer()
    colour = jitter(rng, rng.choice([(196, 150, 86), (170, 120, 60), (206, 176, 112), (140, 100, 60)]), 10)
    cell = px(rng.uniform(0.026, 0.036))
    cx = px(0.5 + rng.uniform(-0.05, 0.05))
    if "tas" in title:
        w, h = px(rng.uniform(0.5, 0.58)), px(rng.uniform(0.4, 0.46))
        top = px(0.86) - h
        handle = jitter(rng, (90, 60, 36), 8)
        for dx in (-0.22, 0.22):
            ImageDraw.Draw(layer).arc([cx + dx * w - w * 0.14, top - h * 0.55, cx + dx * w + w * 0.14, top + h * 0.62],
                                      180, 360, fill=handle + (255,), width=px(0.018))
        _woven_shape(layer, (cx - w / 2, top, cx + w / 2, top + h), colour, rng, cell, rounded_shape(0.18))
        stripe = jitter(rng, rng.choice([(150, 40, 32), (30, 30, 30), (40, 90, 70)]), 8)
        ImageDraw.Draw(layer).rectangle([cx - w / 2, top + h * 0.3, cx + w / 2, top + h * 0.4], fill=stripe + (255,))
    elif "tikar" in title:
        w, d = px(rng.uniform(0.66, 0.76)), px(0.16)
        _woven_shape(layer, (cx - w / 2, px(0.62), cx + w / 2, px(0.92)), colour, rng, cell,
                     lambda dr, ww, hh: dr.polygon([(ww * 0.06, 0), (ww * 0.94, 0), (ww, hh), (0, hh)], fill=255))
        roll = shaded((d, round(w)), colour).transpose(Image.Transpose.ROTATE_90)
        layer.paste(roll, (round(cx - w / 2), px(0.62) - d // 2))
        end = (round(cx + w / 2) - d // 3, px(0.62) - d // 2, round(cx + w / 2) + d // 3, px(0.62) + d // 2)
        paint(layer, end, shade(colour, 0.9), ellipse_shape, kind="flat")
        for k in range(1, 5):  # the spiral of the rolled end
            inset = k * d // 10
            ImageDraw.Draw(layer).arc([end[0] + inset * 0.6, end[1] + inset, end[2] - inset * 0.6, end[3] - inset],
                                      0, 300, fill=shade(colour, 0.55) + (255,), width=3)
    else:  # a basket with a rim and, for a keranjang, a handle
        w, h = px(rng.uniform(0.48, 0.56)), px(rng.uniform(0.36, 0.42))
        top = px(0.86) - h
        rim = jitter(rng, shade(colour, 0.75), 6)
        if "keranjang" in title:
            ImageDraw.Draw(layer).arc([cx - w * 0.42, top - h * 0.75, cx + w * 0.42, top + h * 0.5], 180, 360,
                                      fill=rim + (255,), width=px(0.026))
        paint(layer, (cx - w / 2, top - w * 0.1, cx + w / 2, top + w * 0.1), shade(colour, 0.35), ellipse_shape,
              kind="flat")
        _woven_shape(layer, (cx - w / 2, top, cx + w / 2, top + h), colour, rng, cell,
                     lambda dr, ww, hh: dr.polygon([(0, 0), (ww, 0), (ww * 0.87, hh), (ww * 0.13, hh)], fill=255))
        ImageDraw.Draw(layer).arc([cx - w / 2, top - w * 0.1, cx + w / 2, top + w * 0.1], 0, 180, fill=rim + (255,),
                                  width=px(0.024))
    scene.place(layer)


# Spices: peppercorns, candlenuts or powder in a bowl, a few spilled on the table.

def _spices(scene, title):
    rng, px = scene.rng, scene.px
    backdrop(scene)
    layer = scene.layer()
    if "lada" in title:
        colour, grain, count = ((214, 196, 160) if "putih" in title else (44, 36, 30)), 0.014, 600
    elif "kemiri" in title:
        colour, grain, count = (230, 214, 180), 0.032, 140
    else:  # ground ginger, turmeric...
        colour, grain, count = (196, 120, 70) if "merah" in title else (214, 170, 90), 0.004, 900
    colour = jitter(rng, colour, 8)
    bowl = jitter(rng, rng.choice([(120, 80, 50), (236, 232, 222), (80, 60, 40), (60, 90, 120)]), 8)
    right = rng.random() < 0.5
    _bowl(scene, layer, px(0.58 if right else 0.42), px(0.84), px(rng.uniform(0.5, 0.58)), bowl,
          _granules(scene, colour, count, px(grain)))
    scene.place(layer)
    spill = scene.layer()
    if grain > 0.01:
        draw = ImageDraw.Draw(spill)
        for _ in range(rng.randint(5, 9)):
            x, y, r = px(rng.uniform(0.1, 0.9)), px(rng.uniform(0.88, 0.95)), px(grain) * rng.uniform(0.8, 1.2)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=shade(colour, rng.uniform(0.8, 1.1)) + (255,))
    else:  # a knobbly root beside the powder
        root = jitter(rng, (200, 160, 110), 8)
        x = px(0.2 if right else 0.8)
        for k in range(4):
            bx, by = x + px(rng.uniform(-0.09, 0.09)), px(0.88 + rng.uniform(-0.02, 0.02))
            paint(spill, (bx - px(0.06), by - px(0.035), bx + px(0.06), by + px(0.035)), root, ellipse_shape,
                  kind="flat", outline=shade(root, 0.7))
    scene.place(spill, shadow=0.3, blur=0.006)


# Tea: a glass of tea on a saucer, loose dried leaves, round moringa leaflets or chips of root in front.

def _leaf_piece(draw, x, y, r, colour, rng):
    a = rng.uniform(0, math.pi)
    dx, dy = math.cos(a) * r, math.sin(a) * r * 0.6
    nx, ny = -math.sin(a) * r * 0.35, math.cos(a) * r * 0.25
    draw.polygon([(x - dx, y - dy), (x + nx, y + ny), (x + dx, y + dy), (x - nx, y - ny)], fill=colour)
    draw.line([(x - dx, y - dy), (x + dx, y + dy)], fill=shade(colour, 0.7), width=2)


def _leaflet(draw, x, y, r, colour, rng):
    draw.ellipse([x - r * 0.6, y - r * 0.45, x + r * 0.6, y + r * 0.45], fill=colour, outline=shade(colour, 0.7))


def _chip(draw, x, y, r, colour, rng):
    a = rng.uniform(0, math.pi)
    dx, dy, nx, ny = math.cos(a) * r, math.sin(a) * r * 0.6, -math.sin(a) * r * 0.3, math.cos(a) * r * 0.3
    draw.polygon([(x - dx - nx, y - dy - ny), (x + dx - nx, y + dy - ny), (x + dx + nx, y + dy + ny),
                  (x - dx + nx, y - dy + ny)], fill=colour, outline=shade(colour, 0.65))


def _tea(scene, title):
    rng, px = scene.rng, scene.px
    backdrop(scene)
    layer = scene.layer()
    right = rng.random() < 0.5
    cx, w = px(0.66 if right else 0.34), px(rng.uniform(0.24, 0.28))
    bottom = px(0.8)
    saucer = jitter(rng, rng.choice([(240, 238, 232), (200, 220, 230), (230, 220, 200)]), 6)
    paint(layer, (cx - w * 0.85, bottom - w * 0.14, cx + w * 0.85, bottom + w * 0.14), saucer, ellipse_shape,
          kind="flat", outline=shade(saucer, 0.75))
    tea = jitter(rng, (170, 96, 30) if "bajakah" in title else (150, 130, 40), 10)
    glass = (cx - w / 2, bottom - w * 1.2, cx + w / 2, bottom)
    ImageDraw.Draw(layer).arc([glass[2] - w * 0.15, glass[1] + w * 0.25, glass[2] + w * 0.3, glass[1] + w * 0.8],
                              270, 90, fill=(230, 232, 232, 200), width=px(0.014))
    paint(layer, glass, (226, 232, 232), rounded_shape(0.12))
    paint(layer, (glass[0] + 6, glass[1] + w * 0.22, glass[2] - 6, glass[3] - 6), tea, rounded_shape(0.12))
    paint(layer, (glass[0] + 6, glass[1] + w * 0.16, glass[2] - 6, glass[1] + w * 0.3), mix(tea, (250, 230, 180), 0.35),
          ellipse_shape, kind="flat")
    glaze(layer, glass, opacity=110, width_fraction=0.12, at=0.15)
    scene.place(layer)
    front = scene.layer()
    if "kelor" in title:
        colour, piece, size = (96, 130, 50), _leaflet, px(0.026)
    elif "bajakah" in title or "akar" in title:
        colour, piece, size = (150, 70, 40), _chip, px(0.03)
    else:
        colour, piece, size = (80, 90, 40), _leaf_piece, px(0.03)
    _pile(scene, front, px(0.3 if right else 0.7), px(0.92), px(0.22), px(0.16), jitter(rng, colour, 10), piece,
          160, size)
    scene.place(front, shadow=0.3, blur=0.008)


# Forest produce: a tied bundle of cinnamon quills, their rolled ends showing.

def _cinnamon(scene, title):
    rng, px = scene.rng, scene.px
    backdrop(scene)
    layer = scene.layer()
    bark = jitter(rng, (150, 84, 44), 12)
    length, thick = px(rng.uniform(0.62, 0.72)), px(rng.uniform(0.05, 0.06))
    x0 = px(0.5) - length // 2
    rows = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0.5), (1, 1.5), (1, 2.5), (2, 1), (2, 2)]
    for layer_row, slot in sorted(rows[:rng.choice([7, 9])], key=lambda r: -r[0]):
        y = px(0.55) + slot * thick - layer_row * thick * 0.6 + thick * layer_row * 0.5
        dx = px(rng.uniform(-0.03, 0.03))
        stick = shaded((round(thick), length), jitter(rng, bark, 8)).transpose(Image.Transpose.ROTATE_90)
        layer.paste(stick, (x0 + dx, round(y)))
        end = (x0 + dx + length - thick // 3, round(y), x0 + dx + length + thick // 3, round(y + thick))
        paint(layer, end, mix(bark, (210, 150, 100), 0.3), ellipse_shape, kind="flat")
        ImageDraw.Draw(layer).arc([end[0] + 3, end[1] + thick * 0.2, end[2] - 3, end[3] - thick * 0.1], 90, 400,
                                  fill=shade(bark, 0.5) + (255,), width=3)
    twine = jitter(rng, (220, 200, 150), 8)
    draw = ImageDraw.Draw(layer)
    for k in range(3):
        x = px(0.47) + k * px(0.014)
        draw.line([(x, px(0.55) - thick * 1.2), (x + px(0.008), px(0.55) + thick * 4.2)], fill=twine + (255,),
                  width=px(0.008))
    layer = rotated(layer, rng.uniform(-14, 14), (px(0.5), px(0.65)))
    scene.place(layer)


SUBJECTS = {
    "madu": _honey,
    "kerupuk-amplang": _chips,
    "keripik": _chips,
    "gula-pemanis": _sugar,
    "kopi": _coffee,
    "kue-dodol": _dodol,
    "abon-olahan-ikan": _fish_products,
    "kain-tenun": _cloth,
    "anyaman": _weaving,
    "bumbu-rempah": _spices,
    "teh-herbal": _tea,
    "hasil-hutan-kebun": _cinnamon,
}
