"""Drawing helpers for the demo photos: a table-top scene, shaded shapes, soft shadows and a photo's grain.

Everything is drawn at one and a half times the photo's size and reduced at the end (Pillow's shapes have no
anti-aliasing; twice the size looks no better at 640 px and takes 1.5 times as long),
and every random choice comes from the scene's own seeded generator, so a title always gives the same photo.
"""
import io
import math

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

SUPERSAMPLE = 1.5


def mix(colour, other, amount):
    """colour moved `amount` (0..1) of the way towards other."""
    return tuple(round(a + (b - a) * amount) for a, b in zip(colour, other))


def shade(colour, factor):
    """colour darker (factor < 1) or lighter (factor > 1), clipped to 0..255."""
    return tuple(max(0, min(255, round(c * factor))) for c in colour)


def jitter(rng, colour, spread=14):
    """colour with each channel moved a little, so no two products share a tone."""
    return tuple(max(0, min(255, c + rng.randint(-spread, spread))) for c in colour)


def _profile(width, kind, light):
    """A 1-pixel-high brightness strip: 'cylinder' is lit from the left and rolls off at both edges."""
    values = []
    for x in range(width):
        t = (x + 0.5) / width
        if kind == "cylinder":
            level = 0.55 + 0.45 * math.cos((t - light) * math.pi * 1.1) + 0.35 * math.exp(-((t - light) / 0.06) ** 2)
        else:  # "flat": lit from the left, slightly darker to the right
            level = 1.08 - 0.25 * t
        values.append(max(0, min(255, round(150 * level))))
    strip = Image.new("L", (width, 1))
    strip.putdata(values)
    return strip


def shaded(size, colour, kind="cylinder", light=0.32):
    """An RGB block of `size` filled with colour, shaded as a cylinder or a flat face lit from the left."""
    width, height = max(1, size[0]), max(1, size[1])
    strip = _profile(min(width, 256), kind, light)
    grey = strip.resize((width, 1), Image.Resampling.BILINEAR).resize((width, height), Image.Resampling.NEAREST)
    return ImageOps.colorize(grey, black=shade(colour, 0.25), mid=colour, white=mix(colour, (255, 250, 240), 0.75),
                             blackpoint=0, midpoint=150, whitepoint=255)


class Scene:
    """A square table-top photo being drawn, with its seeded random generator."""

    def __init__(self, rng, size):
        self.rng = rng
        self.size = size
        self.side = round(size * SUPERSAMPLE)
        self.image = Image.new("RGB", (self.side, self.side))
        self.horizon = self.px(rng.uniform(0.42, 0.56))

    def px(self, fraction):
        """A fraction of the side in pixels of the drawing."""
        return round(fraction * self.side)

    def layer(self):
        """A transparent layer the size of the drawing."""
        return Image.new("RGBA", (self.side, self.side), (0, 0, 0, 0))

    def place(self, layer, shadow=0.45, offset=(0.015, 0.012), blur=0.02):
        """Lay a drawn layer on the scene over the soft shadow it casts on the table."""
        box = layer.getbbox()
        if box is None:
            return
        margin = self.px(blur * 2 + max(offset))
        x0, y0 = max(0, box[0] - margin), max(0, box[1] - margin)
        x1, y1 = min(self.side, box[2] + margin), min(self.side, box[3] + margin)
        part = layer.crop((x0, y0, x1, y1))
        if shadow:
            small = part.getchannel("A").reduce(8)
            small = small.filter(ImageFilter.GaussianBlur(max(1, self.side * blur / 8)))
            mask = small.resize(part.size, Image.Resampling.BILINEAR).point(lambda v: round(v * shadow))
            # Pasted shifted (not rolled round), so a shadow cut off at the bottom never reappears at the top.
            self.image.paste((20, 12, 6), (x0 + self.px(offset[0]), y0 + self.px(offset[1])), mask)
        self.image.paste(part, (x0, y0), part)

    def finish(self, quality=88):
        """Reduce, light unevenly with darker corners, add grain; the JPEG bytes of the photo."""
        n = self.size
        photo = self.image.resize((n, n), Image.Resampling.BOX)
        # Worked out small and stretched once: the light is soft, so 96 px of it are plenty.
        blotches = Image.new("L", (6, 6))
        blotches.putdata([self.rng.randint(216, 248) for _ in range(36)])
        vignette = ImageOps.invert(Image.radial_gradient("L")).resize((96, 96)).point(lambda v: 150 + v * 105 // 255)
        light = ImageChops.multiply(blotches.resize((96, 96), Image.Resampling.BICUBIC), vignette)
        light = light.resize((n, n), Image.Resampling.BILINEAR)
        photo = ImageChops.multiply(photo, Image.merge("RGB", (light, light, light)))
        grain = Image.frombytes("L", (n, n), self.rng.randbytes(n * n)).point(lambda v: v * 20 // 255)
        photo = ImageChops.add(photo, Image.merge("RGB", (grain, grain, grain)), 1.0, -10)
        buffer = io.BytesIO()
        photo.save(buffer, "JPEG", quality=quality)
        return buffer.getvalue()


def paint(layer, box, colour, draw_shape, kind="cylinder", light=0.32, outline=None):
    """Fill the shape drawn by draw_shape(draw, width, height) in box with a shaded colour."""
    x0, y0, x1, y1 = (round(v) for v in box)
    width, height = max(1, x1 - x0), max(1, y1 - y0)
    mask = Image.new("L", (width, height), 0)
    draw_shape(ImageDraw.Draw(mask), width, height)
    layer.paste(shaded((width, height), colour, kind, light), (x0, y0), mask)
    if outline:
        edge = mask.filter(ImageFilter.FIND_EDGES).point(lambda v: 255 if v > 40 else 0)
        layer.paste(outline, (x0, y0), edge)
    return mask


def ellipse_shape(draw, width, height):
    """draw_shape for paint(): an ellipse filling the box."""
    draw.ellipse([0, 0, width - 1, height - 1], fill=255)


def rounded_shape(radius_fraction):
    """draw_shape for paint(): a rectangle with corners rounded by a fraction of the shorter side."""
    def draw_shape(draw, width, height):
        draw.rounded_rectangle([0, 0, width - 1, height - 1], radius=round(min(width, height) * radius_fraction),
                               fill=255)
    return draw_shape


def glaze(layer, box, opacity=70, width_fraction=0.12, at=0.22):
    """A soft vertical reflection on glass or a glossy surface."""
    x0, y0, x1, y1 = (round(v) for v in box)
    w = max(2, round((x1 - x0) * width_fraction))
    x = x0 + round((x1 - x0) * at)
    streak = Image.new("L", (w, max(1, y1 - y0)), 0)
    ImageDraw.Draw(streak).rounded_rectangle([0, 0, w - 1, y1 - y0 - 1], radius=w // 2, fill=opacity)
    layer.paste((255, 255, 255), (x, y0), streak.filter(ImageFilter.GaussianBlur(w / 4)))


def font(pixels):
    """Pillow's built-in scalable font (the same on every machine)."""
    return ImageFont.load_default(size=max(8, round(pixels)))


def label_text(layer, centre, text, pixels, fill, max_width=None):
    """Text centred on a point, such as the name printed on a label, made smaller until it fits max_width."""
    draw = ImageDraw.Draw(layer)
    face = font(pixels)
    while max_width and pixels > 8 and draw.textlength(text, font=face) > max_width:
        pixels *= 0.9
        face = font(pixels)
    draw.text(centre, text, font=face, fill=fill, anchor="mm")


def rotated(layer, degrees, centre):
    """The layer turned about a point (counter-clockwise), keeping its size; only its drawn part is turned."""
    box = layer.getbbox()
    if box is None:
        return layer
    reach = math.ceil(max(math.dist(centre, corner) for corner in
                          [(box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])]))
    cx, cy = round(centre[0]), round(centre[1])
    area = (cx - reach, cy - reach, cx + reach, cy + reach)
    turned = layer.crop(area).rotate(degrees, resample=Image.Resampling.BILINEAR)
    result = Image.new("RGBA", layer.size, (0, 0, 0, 0))
    result.paste(turned, area[:2])
    return result


def clip(layer, mask):
    """The layer with everything outside mask made transparent."""
    alpha = ImageChops.multiply(layer.getchannel("A"), mask)
    layer.putalpha(alpha)
    return layer


def mound_points(rng, count, centre_x, base_y, half_width, height):
    """Points heaped like a pile poured on a table, back (top) first so the front ones are drawn last."""
    points = []
    for _ in range(count):
        x = rng.triangular(-1, 1, 0)
        top = base_y - height * math.sqrt(1 - x * x)
        y = rng.uniform(top, base_y)
        points.append((centre_x + x * half_width, y))
    points.sort(key=lambda point: point[1])
    return points


WALLS = [(236, 226, 208), (222, 232, 226), (240, 222, 206), (214, 222, 234), (232, 232, 224), (244, 236, 220)]


def backdrop(scene, surface=None):
    """A wall fading to the top and a table surface (wood, bamboo mat, banana leaf or linen) below the horizon."""
    rng, side, horizon = scene.rng, scene.side, scene.horizon
    wall = jitter(rng, rng.choice(WALLS), 8)
    gradient = _vertical_gradient(side, horizon)
    scene.image.paste(ImageOps.colorize(gradient, black=shade(wall, 0.82), white=wall), (0, 0))
    surface = surface or rng.choice(["wood", "wood", "mat", "leaf", "linen"])
    table = Image.new("RGB", (side, side - horizon))
    {"wood": _wood, "mat": _mat, "leaf": _leaf, "linen": _linen}[surface](rng, table)
    # Nearer is lighter and the far edge sits in shade.
    depth = _vertical_gradient(side, side - horizon).point(lambda v: 150 + v * 105 // 255)
    scene.image.paste(ImageChops.multiply(table, Image.merge("RGB", (depth, depth, depth))), (0, horizon))
    ImageDraw.Draw(scene.image).line([(0, horizon), (side, horizon)], fill=shade(wall, 0.6), width=max(2, side // 400))
    return surface


def _vertical_gradient(width, height):
    """Black at the top to white at the bottom (one column stretched sideways: cheap at any width)."""
    column = Image.linear_gradient("L").resize((1, height), Image.Resampling.BILINEAR)
    return column.resize((width, height), Image.Resampling.NEAREST)


def _wood(rng, table):
    base = jitter(rng, rng.choice([(150, 100, 60), (120, 78, 44), (176, 128, 80), (98, 64, 40)]), 10)
    draw = ImageDraw.Draw(table)
    width, height = table.size
    y, plank = 0, 0
    while y < height:
        thick = round(height * rng.uniform(0.16, 0.26) * (1 + y / height))
        tone = jitter(rng, base, 12)
        draw.rectangle([0, y, width, y + thick], fill=tone)
        for _ in range(14):  # the grain: long, slightly wavy darker streaks
            gy = y + rng.uniform(0, thick)
            streak = shade(tone, rng.uniform(0.8, 0.94))
            points = [(x, gy + math.sin(x / width * rng.uniform(2, 6) + plank) * thick * 0.08)
                      for x in range(0, width + 40, 40)]
            draw.line(points, fill=streak, width=max(1, width // 500))
        draw.line([(0, y), (width, y)], fill=shade(tone, 0.55), width=max(2, width // 300))
        y += thick
        plank += 1


def _mat(rng, table):
    base = jitter(rng, (206, 176, 120), 12)
    draw = ImageDraw.Draw(table)
    width, height = table.size
    step = width // rng.randint(22, 30)
    for row, y in enumerate(range(0, height, step)):
        for col, x in enumerate(range(-step, width, step)):
            across = (row + col) % 2 == 0
            tone = shade(base, 1.06 if across else 0.9)
            draw.rectangle([x, y, x + step - 2, y + step - 2], fill=tone)
            for k in range(1, 4):  # the strips inside each square of the weave
                if across:
                    draw.line([(x, y + k * step // 4), (x + step, y + k * step // 4)], fill=shade(tone, 0.88))
                else:
                    draw.line([(x + k * step // 4, y), (x + k * step // 4, y + step)], fill=shade(tone, 0.88))


def _leaf(rng, table):
    base = jitter(rng, (74, 128, 56), 10)
    width, height = table.size
    table.paste(base, (0, 0, width, height))
    draw = ImageDraw.Draw(table)
    slope = rng.uniform(0.25, 0.5)
    for x in range(-height, width, max(4, width // 90)):  # the leaf's parallel veins
        draw.line([(x, 0), (x + height * slope, height)], fill=shade(base, rng.uniform(0.86, 1.12)), width=2)
    draw.line([(width * rng.uniform(0.1, 0.3), height), (width * rng.uniform(0.6, 0.9), 0)],
              fill=mix(base, (220, 230, 160), 0.5), width=max(4, width // 120))


def _linen(rng, table):
    base = jitter(rng, rng.choice([(232, 226, 214), (226, 214, 196), (210, 220, 214)]), 6)
    width, height = table.size
    table.paste(base, (0, 0, width, height))
    draw = ImageDraw.Draw(table)
    for y in range(0, height, 3):
        draw.line([(0, y), (width, y)], fill=shade(base, rng.uniform(0.95, 1.02)))
    for _ in range(3):  # a few soft creases
        x = rng.uniform(0, width)
        draw.line([(x, 0), (x + rng.uniform(-200, 200), height)], fill=shade(base, 0.9), width=max(3, width // 200))
