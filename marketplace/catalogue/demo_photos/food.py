"""Honey, crackers and chips, palm sugar, coffee, dodol: what a kitchen or a bee garden makes."""
from PIL import Image, ImageDraw

from .containers import bowl, caption, cylinder, disc, granules, pile, pouch, tray
from .drawing import backdrop, clip, ellipse_shape, glaze, jitter, label_text, mix, paint, rounded_shape, shade, shaded


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
    first, second = caption(title)
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


def honey(scene, title):
    """Bottles of honey, or a jar of comb honey, with a slab of honeycomb in front."""
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


def _curl(draw, x, y, r, colour, rng):
    start = rng.uniform(0, 360)
    sweep = rng.uniform(200, 300)
    box = [x - r, y - r * 0.7, x + r, y + r * 0.7]
    draw.arc(box, start, start + sweep, fill=shade(colour, 0.7), width=round(r * 0.7))
    draw.arc(box, start + 10, start + sweep - 10, fill=colour, width=round(r * 0.45))
    draw.arc([x - r * 0.9, y - r * 0.6, x + r * 0.9, y + r * 0.5], start + 40, start + 90,
             fill=mix(colour, (255, 250, 235), 0.55), width=max(1, round(r * 0.12)))


CHIPS = {  # what each kind of cracker or chip looks like: (colour, piece)
    "amplang": ((222, 196, 150), _curl),
    "udang": ((236, 160, 140), disc),
    "ikan": ((232, 222, 204), disc),
    "pisang": ((226, 186, 84), disc),
    "singkong": ((238, 214, 150), disc),
}


def chips(scene, title):
    """Crackers in a clear pouch with a few spilled; chips heaped on a woven tray."""
    rng, px = scene.rng, scene.px
    backdrop(scene)
    kind = next((k for k in CHIPS if k in title), "amplang" if "amplang" in title else "pisang")
    colour, piece = CHIPS[kind]
    if "pedas" in title or "balado" in title:
        colour = mix(colour, (200, 70, 30), 0.45)
    if "keripik" in title:
        layer = scene.layer()
        tray(scene, layer)
        pile(scene, layer, px(0.5 + rng.uniform(-0.05, 0.05)), px(0.86), px(0.34), px(0.24), colour, piece, 200,
             px(0.055))
        scene.place(layer)
        return
    header = jitter(rng, rng.choice([(176, 36, 40), (24, 96, 70), (230, 170, 40), (40, 70, 140), (120, 40, 90)]), 10)
    right = rng.random() < 0.5
    width = px(rng.uniform(0.38, 0.46))
    cx = px(0.62 if right else 0.38) + px(rng.uniform(-0.04, 0.04))
    pouch(scene, cx, px(0.84), width, width * 1.35, colour, piece, 150, header, title)
    spill = scene.layer()
    pile(scene, spill, px(0.24 if right else 0.76), px(0.9), px(0.2), px(0.1), colour, piece, 38, px(0.042))
    scene.place(spill, shadow=0.3, blur=0.008)


def sugar(scene, title):
    """Palm sugar cast as cylinders and stacked, or gula semut heaped in a bowl."""
    rng, px = scene.rng, scene.px
    backdrop(scene)
    layer = scene.layer()
    brown = jitter(rng, (118, 62, 24) if "kelapa" not in title else (150, 88, 40), 12)
    if "semut" in title:
        bowl(scene, layer, px(0.5 + rng.uniform(-0.08, 0.08)), px(0.84), px(0.56),
             jitter(rng, rng.choice([(120, 80, 50), (236, 232, 222), (60, 90, 120)]), 8),
             granules(scene, mix(brown, (200, 140, 70), 0.35), 700, px(0.009)))
    else:
        w = px(rng.uniform(0.2, 0.24))
        places = [(0.5, 0.0), (0.5 - 0.21, 0.03), (0.5 + 0.21, 0.03), (0.39, -0.22), (0.61, -0.22), (0.5, -0.44)]
        stack = sorted(places[:rng.choice([5, 6])], key=lambda p: (p[1], p[0]))
        base = px(0.86)
        for fx, dy in stack:
            cx = px(fx + rng.uniform(-0.02, 0.02))
            bottom = base + px(dy * 0.55) - (px(0.05) if dy == 0.0 and (0.5 - 0.21, 0.03) in stack else 0)
            cylinder(layer, (cx - w / 2, bottom - w * 0.62, cx + w / 2, bottom), jitter(rng, brown, 10))
    scene.place(layer)


def _bean(draw, x, y, r, colour, rng):
    tilt = rng.uniform(0.55, 0.8)
    draw.ellipse([x - r, y - r * tilt, x + r, y + r * tilt], fill=colour, outline=shade(colour, 0.6))
    draw.arc([x - r * 0.9, y - r * tilt * 0.4, x + r * 0.9, y + r * tilt * 0.4], 190, 350,
             fill=shade(colour, 0.45), width=max(1, round(r * 0.16)))
    draw.ellipse([x - r * 0.7, y - r * tilt * 0.9, x - r * 0.1, y - r * tilt * 0.4],
                 fill=mix(colour, (230, 200, 170), 0.3))


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
    first, second = caption(title)
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


def coffee(scene, title):
    """A kraft coffee bag with a window, roasted beans or ground coffee in front."""
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
        bowl(scene, front, px(0.3 if right else 0.7), px(0.9), px(0.36), jitter(rng, (236, 230, 220), 6),
             granules(scene, mix(roast, (120, 80, 50), 0.3), 500, px(0.006)))
    else:
        pile(scene, front, px(0.3 if right else 0.7), px(0.93), px(0.22), px(0.14), roast, _bean, 90, px(0.032))
    scene.place(front, blur=0.01)


def dodol(scene, title):
    """Lempok or dodol rolled in plastic with twisted ends, and slices of one cut open."""
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
        # Lying down, so lit from above: the cylinder's light runs along its length.
        log = shaded((round(thick), round(length)), colour, light=0.3).transpose(Image.Transpose.ROTATE_270)
        mask = Image.new("L", log.size, 0)
        rounded_shape(0.5)(ImageDraw.Draw(mask), *log.size)
        layer.paste(log, (round(x0), round(cy - thick / 2)), mask)
    scene.place(layer)
    cut = scene.layer()
    for k in range(rng.choice([2, 3])):  # slices of a cut log, paler inside
        x, y, r = px(0.62 + 0.13 * k + rng.uniform(-0.02, 0.02)), px(0.9), px(0.06)
        paint(cut, (x - r, y - r * 0.7, x + r, y + r * 0.7), shade(colour, 0.8), ellipse_shape, kind="flat")
        paint(cut, (x - r * 0.85, y - r * 0.62, x + r * 0.85, y + r * 0.5), mix(colour, (210, 160, 90), 0.3),
              ellipse_shape, kind="flat")
    scene.place(cut, blur=0.008)
