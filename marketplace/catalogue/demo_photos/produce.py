"""Fish, spices, tea and forest produce: what is dried, smoked or gathered."""
import math

from PIL import Image, ImageDraw

from .containers import bowl, granules, pile, tray
from .drawing import (backdrop, ellipse_shape, glaze, jitter, mix, mound_points, paint, rotated, rounded_shape, shade,
                      shaded)


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


def fish_products(scene, title):
    """Smoked or salted fish on a woven tray, or fish floss heaped in a bowl."""
    rng, px = scene.rng, scene.px
    backdrop(scene)
    layer = scene.layer()
    if "abon" in title:
        bowl(scene, layer, px(0.5 + rng.uniform(-0.06, 0.06)), px(0.86), px(0.62),
             jitter(rng, rng.choice([(236, 232, 222), (110, 70, 40), (170, 60, 40)]), 8),
             _floss(scene, jitter(rng, (176, 112, 50), 10)))
        scene.place(layer)
        return
    tray(scene, layer)
    colour = jitter(rng, (120, 84, 50) if "salai" in title else (176, 176, 168), 10)
    for i in range(rng.choice([4, 5, 6])):
        _fish(layer, px(0.5 + rng.uniform(-0.16, 0.16)), px(0.62 + i * 0.05), px(rng.uniform(0.42, 0.5)),
              jitter(rng, colour, 8), rng.uniform(-15, 15))
    scene.place(layer)


def spices(scene, title):
    """Peppercorns, candlenuts or ground spice in a bowl, a little spilled beside it."""
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
    bowl_colour = jitter(rng, rng.choice([(120, 80, 50), (236, 232, 222), (80, 60, 40), (60, 90, 120)]), 8)
    right = rng.random() < 0.5
    bowl(scene, layer, px(0.58 if right else 0.42), px(0.84), px(rng.uniform(0.5, 0.58)), bowl_colour,
         granules(scene, colour, count, px(grain)))
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


def tea(scene, title):
    """A glass of tea on a saucer, with the dried leaves, leaflets or root chips it is made of."""
    rng, px = scene.rng, scene.px
    backdrop(scene)
    layer = scene.layer()
    right = rng.random() < 0.5
    cx, w = px(0.66 if right else 0.34), px(rng.uniform(0.24, 0.28))
    bottom = px(0.8)
    saucer = jitter(rng, rng.choice([(240, 238, 232), (200, 220, 230), (230, 220, 200)]), 6)
    paint(layer, (cx - w * 0.85, bottom - w * 0.14, cx + w * 0.85, bottom + w * 0.14), saucer, ellipse_shape,
          kind="flat", outline=shade(saucer, 0.75))
    brew = jitter(rng, (170, 96, 30) if "bajakah" in title else (150, 130, 40), 10)
    glass = (cx - w / 2, bottom - w * 1.2, cx + w / 2, bottom)
    ImageDraw.Draw(layer).arc([glass[2] - w * 0.15, glass[1] + w * 0.25, glass[2] + w * 0.3, glass[1] + w * 0.8],
                              270, 90, fill=(230, 232, 232, 200), width=px(0.014))
    paint(layer, glass, (226, 232, 232), rounded_shape(0.12))
    paint(layer, (glass[0] + 6, glass[1] + w * 0.22, glass[2] - 6, glass[3] - 6), brew, rounded_shape(0.12))
    surface = (glass[0] + 6, glass[1] + w * 0.16, glass[2] - 6, glass[1] + w * 0.3)
    paint(layer, surface, mix(brew, (250, 230, 180), 0.35),
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
    pile(scene, front, px(0.3 if right else 0.7), px(0.92), px(0.22), px(0.16), jitter(rng, colour, 10), piece,
         160, size)
    scene.place(front, shadow=0.3, blur=0.008)


def cinnamon(scene, title):
    """A tied bundle of cinnamon quills lying at an angle, their rolled ends showing."""
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
