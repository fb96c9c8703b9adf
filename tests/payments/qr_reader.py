"""A QR code reader written for the tests from the QR standard (ISO/IEC 18004), independent of the encoder the
app uses: it reads the dark modules an SVG draws back into text. It handles what a QRIS code needs (versions
1-10, any error correction level and mask, numeric, alphanumeric and byte segments) and trusts a clean image,
so it skips error correction: a module drawn wrong makes the text wrong, and the QRIS checksum then fails."""
import re
import xml.etree.ElementTree as ElementTree

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
# Per version 1..10, for error correction levels L, M, Q, H: EC codewords per block, and number of blocks.
EC_PER_BLOCK = {"L": (7, 10, 15, 20, 26, 18, 20, 24, 30, 18), "M": (10, 16, 26, 18, 24, 16, 18, 22, 22, 26),
                "Q": (13, 22, 18, 26, 18, 24, 18, 22, 20, 24), "H": (17, 28, 22, 16, 22, 28, 26, 26, 24, 28)}
BLOCKS = {"L": (1, 1, 1, 1, 1, 2, 2, 2, 2, 4), "M": (1, 1, 1, 2, 2, 4, 4, 4, 5, 5),
          "Q": (1, 1, 2, 2, 4, 4, 6, 6, 8, 8), "H": (1, 1, 2, 4, 4, 4, 5, 6, 8, 8)}
LEVEL_BITS = {1: "L", 0: "M", 3: "Q", 2: "H"}
MASKS = (lambda x, y: (x + y) % 2 == 0, lambda x, y: y % 2 == 0, lambda x, y: x % 3 == 0,
         lambda x, y: (x + y) % 3 == 0, lambda x, y: (x // 3 + y // 2) % 2 == 0,
         lambda x, y: x * y % 2 + x * y % 3 == 0, lambda x, y: (x * y % 2 + x * y % 3) % 2 == 0,
         lambda x, y: ((x + y) % 2 + x * y % 3) % 2 == 0)


def svg_modules(svg):
    """(dark modules as (row, column), width in modules) of an SVG whose one stroked path draws the dark runs."""
    root = ElementTree.fromstring(svg)
    scale = float(re.search(r"scale\(([\d.]+)\)", svg).group(1))
    width = round(float(root.get("width")) / scale)
    (path,) = [path for path in root.iter("path") if path.get("stroke")]
    dark, x, y = set(), 0.0, 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.get("d")):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark |= {(int(y), int(x) + step) for step in range(int(a))}
            x += float(a)
    return dark, width


def read_svg(svg):
    """The text an SVG QR code carries."""
    dark, width = svg_modules(svg)
    border = min(min(row for row, _col in dark), min(col for _row, col in dark))
    size = width - 2 * border
    return read([[(row + border, col + border) in dark for col in range(size)] for row in range(size)])


def _format_bits(level_bits, mask):
    data = level_bits << 3 | mask
    remainder = data
    for _bit in range(10):
        remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
    return (data << 10 | remainder) ^ 0x5412


def _format(grid):
    """(level, mask) from the format bits beside the top-left finder."""
    spots = [(row, 8) for row in range(6)] + [(7, 8), (8, 8), (8, 7)] + [(8, 14 - i) for i in range(9, 15)]
    bits = sum(grid[row][col] << i for i, (row, col) in enumerate(spots))
    for level_bits, level in LEVEL_BITS.items():
        for mask in range(8):
            if _format_bits(level_bits, mask) == bits:
                return level, mask
    raise ValueError("unreadable format information")


def _alignment(version, size):
    if version == 1:
        return []
    count = version // 7 + 2
    step = (version * 4 + count * 2 + 1) // (count * 2 - 2) * 2
    positions = [6]
    position = size - 7
    while len(positions) < count:
        positions.insert(1, position)
        position -= step
    return positions


def _function_modules(version, size):
    marked = set()

    def area(rows, cols):
        marked.update((row, col) for row in rows for col in cols)

    area(range(9), range(9))
    area(range(9), range(size - 8, size))
    area(range(size - 8, size), range(9))
    area([6], range(size))
    area(range(size), [6])
    centres = _alignment(version, size)
    for row in centres:
        for col in centres:
            if (row, col) not in ((6, 6), (6, size - 7), (size - 7, 6)):
                area(range(row - 2, row + 3), range(col - 2, col + 3))
    if version >= 7:
        area(range(6), range(size - 11, size - 8))
        area(range(size - 11, size - 8), range(6))
    return marked


def _codewords(grid, version, mask):
    size = len(grid)
    function = _function_modules(version, size)
    bits = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = (right + 1) & 2 == 0
        for vertical in range(size):
            row = size - 1 - vertical if upward else vertical
            for col in (right, right - 1):
                if (row, col) not in function:
                    bits.append(grid[row][col] ^ MASKS[mask](col, row))
        right -= 2
    return [int("".join(str(int(bit)) for bit in bits[i:i + 8]), 2) for i in range(0, len(bits) - 7, 8)]


def _data(codewords, version, level):
    raw = (16 * version + 128) * version + 64
    if version >= 2:
        count = version // 7 + 2
        raw -= (25 * count - 10) * count - 55
        if version >= 7:
            raw -= 36
    total, blocks, ec = raw // 8, BLOCKS[level][version - 1], EC_PER_BLOCK[level][version - 1]
    short = total // blocks - ec
    lengths = [short + (index >= blocks - total % blocks) for index in range(blocks)]
    data, position = [[] for _block in range(blocks)], 0
    for i in range(max(lengths)):
        for block in range(blocks):
            if i < lengths[block]:
                data[block].append(codewords[position])
                position += 1
    return [byte for block in data for byte in block]


def read(grid):
    """The text of a QR code given as rows of booleans (True = dark), without its quiet zone."""
    size = len(grid)
    version = (size - 17) // 4
    if not 1 <= version <= 10 or size != 17 + 4 * version:
        raise ValueError(f"unsupported size {size}")
    level, mask = _format(grid)
    data = _data(_codewords(grid, version, mask), version, level)
    bits = "".join(f"{byte:08b}" for byte in data)
    text, at = "", 0

    def take(count):
        nonlocal at
        at += count
        return int(bits[at - count:at], 2)

    small = version <= 9
    while at + 4 <= len(bits):
        mode = take(4)
        if mode == 0:
            break
        if mode == 1:  # numeric: three digits in ten bits
            count = take(10 if small else 12)
            for start in range(0, count, 3):
                digits = min(3, count - start)
                text += f"{take((4, 7, 10)[digits - 1]):0{digits}d}"
        elif mode == 2:  # alphanumeric: two characters in eleven bits
            count = take(9 if small else 11)
            for _pair in range(count // 2):
                value = take(11)
                text += ALPHANUMERIC[value // 45] + ALPHANUMERIC[value % 45]
            if count % 2:
                text += ALPHANUMERIC[take(6)]
        elif mode == 4:
            count = take(8 if small else 16)
            text += bytes(take(8) for _byte in range(count)).decode("utf-8")
        else:
            raise ValueError(f"unsupported mode {mode}")
    return text
