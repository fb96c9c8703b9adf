"""Cloth and weaving: ulap doyo, rattan and purun baskets, bags and mats."""
import math

from PIL import Image, ImageChops, ImageDraw

from .drawing import backdrop, ellipse_shape, jitter, mix, paint, rounded_shape, shade, shaded


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


def cloth(scene, title):
    """Ulap doyo hung from a bamboo pole, or a selendang folded on the table."""
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
        hanging = _folds(_cloth_pattern(rng, width, height), rng, rng.uniform(2.5, 4.5))
        layer.paste(hanging, (x, y))
        draw = ImageDraw.Draw(layer)
        for fx in range(x, x + width, 6):  # the fringe of loose threads
            draw.line([(fx, y + height), (fx + rng.randint(-3, 3), y + height + px(0.035))],
                      fill=shade(hanging.getpixel((fx - x, height - 1)), 0.9) + (255,), width=3)
        pole = jitter(rng, (196, 168, 90), 8)
        bar = shaded((px(0.045), px(0.9)), pole).transpose(Image.Transpose.ROTATE_90)
        layer.paste(bar, (px(0.05), y - px(0.035)))
    scene.place(layer, offset=(0.02, 0.02), blur=0.025)


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


def _bag(scene, layer, cx, colour, cell):
    rng, px = scene.rng, scene.px
    w, h = px(rng.uniform(0.5, 0.58)), px(rng.uniform(0.4, 0.46))
    top = px(0.86) - h
    handle = jitter(rng, (90, 60, 36), 8)
    for dx in (-0.22, 0.22):
        ImageDraw.Draw(layer).arc([cx + dx * w - w * 0.14, top - h * 0.55, cx + dx * w + w * 0.14, top + h * 0.62],
                                  180, 360, fill=handle + (255,), width=px(0.018))
    _woven_shape(layer, (cx - w / 2, top, cx + w / 2, top + h), colour, rng, cell, rounded_shape(0.18))
    stripe = jitter(rng, rng.choice([(150, 40, 32), (30, 30, 30), (40, 90, 70)]), 8)
    ImageDraw.Draw(layer).rectangle([cx - w / 2, top + h * 0.3, cx + w / 2, top + h * 0.4], fill=stripe + (255,))


def _rolled_mat(scene, layer, cx, colour, cell):
    rng, px = scene.rng, scene.px
    w, d = px(rng.uniform(0.66, 0.76)), px(0.16)
    _woven_shape(layer, (cx - w / 2, px(0.62), cx + w / 2, px(0.92)), colour, rng, cell,
                 lambda dr, ww, hh: dr.polygon([(ww * 0.06, 0), (ww * 0.94, 0), (ww, hh), (0, hh)], fill=255))
    stripe = jitter(rng, rng.choice([(150, 40, 32), (40, 90, 70), (60, 60, 110)]), 8)
    for y in (0.7, 0.82):  # dyed strips woven in across the mat
        ImageDraw.Draw(layer).rectangle([cx - w * 0.48, px(y), cx + w * 0.48, px(y + 0.025)], fill=stripe + (220,))
    light = shaded((d, round(w)), (230, 230, 230)).transpose(Image.Transpose.ROTATE_90)
    roll = ImageChops.multiply(_basketwork((round(w), d), colour, rng, max(4, cell // 2)), light)
    layer.paste(roll, (round(cx - w / 2), px(0.62) - d // 2))
    end = (round(cx + w / 2) - d // 3, px(0.62) - d // 2, round(cx + w / 2) + d // 3, px(0.62) + d // 2)
    paint(layer, end, shade(colour, 0.9), ellipse_shape, kind="flat")
    for k in range(1, 5):  # the spiral of the rolled end
        inset = k * d // 10
        ImageDraw.Draw(layer).arc([end[0] + inset * 0.6, end[1] + inset, end[2] - inset * 0.6, end[3] - inset],
                                  0, 300, fill=shade(colour, 0.55) + (255,), width=3)


def _basket(scene, layer, cx, colour, cell, handle):
    rng, px = scene.rng, scene.px
    w, h = px(rng.uniform(0.48, 0.56)), px(rng.uniform(0.36, 0.42))
    top = px(0.86) - h
    rim = jitter(rng, shade(colour, 0.75), 6)
    if handle:
        ImageDraw.Draw(layer).arc([cx - w * 0.42, top - h * 0.75, cx + w * 0.42, top + h * 0.5], 180, 360,
                                  fill=rim + (255,), width=px(0.026))
    paint(layer, (cx - w / 2, top - w * 0.1, cx + w / 2, top + w * 0.1), shade(colour, 0.35), ellipse_shape,
          kind="flat")
    _woven_shape(layer, (cx - w / 2, top, cx + w / 2, top + h), colour, rng, cell,
                 lambda dr, ww, hh: dr.polygon([(0, 0), (ww, 0), (ww * 0.87, hh), (ww * 0.13, hh)], fill=255))
    ImageDraw.Draw(layer).arc([cx - w / 2, top - w * 0.1, cx + w / 2, top + w * 0.1], 0, 180, fill=rim + (255,),
                              width=px(0.024))


def weaving(scene, title):
    """A rattan or purun basket (a keranjang has a handle), a woven bag, or a rolled mat."""
    rng, px = scene.rng, scene.px
    backdrop(scene)
    layer = scene.layer()
    colour = jitter(rng, rng.choice([(196, 150, 86), (170, 120, 60), (206, 176, 112), (140, 100, 60)]), 10)
    cell = px(rng.uniform(0.026, 0.036))
    cx = px(0.5 + rng.uniform(-0.05, 0.05))
    if "tas" in title:
        _bag(scene, layer, cx, colour, cell)
    elif "tikar" in title:
        _rolled_mat(scene, layer, cx, colour, cell)
    else:
        _basket(scene, layer, cx, colour, cell, handle="keranjang" in title)
    scene.place(layer)
