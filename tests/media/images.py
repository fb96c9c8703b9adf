"""Builders of real image files (and non-images) for the media tests, written with Pillow.

Pictures are built so that the tests can tell which way is up: the top half is
red, the bottom half blue, and a green square marks the top-left corner.
"""
import io
import struct
import zlib

import pillow_heif
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageDraw

RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 200, 20)
HTML = b"<html><script>alert(1)</script></html>"
CAMERA_MAKE = "KameraUjiGPS"

# The tests open HEIC files themselves: the app registers this opener only in the photo child that decodes.
pillow_heif.register_heif_opener()


def upright_picture(width, height, mode="RGB"):
    """Red top half, blue bottom half, green square in the top-left corner."""
    img = Image.new(mode, (width, height), BLUE)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width, height // 2 - 1), fill=RED)
    side = min(width, height) // 5
    draw.rectangle((0, 0, side, side), fill=GREEN)
    return img


def exif_with_gps(orientation=1):
    """EXIF carrying an orientation, a camera make and a GPS position (Tenggarong)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = CAMERA_MAKE
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (0.0, 25.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 59.0, 24.0)
    return exif


XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="0,25.2S"/>'
       b"</rdf:RDF></x:xmpmeta>")


def phone_jpeg(directory, width=3000, height=4000):
    """A 12 MP portrait phone photo: pixels stored on their side with EXIF orientation 6, GPS, XMP and ICC."""
    # Orientation 6 means "rotate 90 degrees clockwise to display", so store
    # the upright picture turned 90 degrees counter-clockwise.
    stored = upright_picture(width, height).transpose(Image.Transpose.ROTATE_90)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = directory / "phone.jpg"
    stored.save(path, "JPEG", quality=90, exif=exif_with_gps(orientation=6), xmp=XMP, icc_profile=srgb)
    return path


def noisy_jpeg(directory, name="noisy.jpg", size=(800, 600)):
    """A JPEG of noise, so its bytes are spread over the whole picture."""
    channels = [Image.effect_noise(size, 60 + 10 * i) for i in range(3)]
    path = directory / name
    Image.merge("RGB", channels).save(path, "JPEG", quality=90)
    return path


def truncated_jpeg(directory):
    """A JPEG cut off at 60% of its bytes, as an interrupted upload leaves it."""
    data = noisy_jpeg(directory, "whole.jpg").read_bytes()
    path = directory / "truncated.jpg"
    path.write_bytes(data[: len(data) * 6 // 10])
    return path


def jpeg_with_html(directory):
    """A valid JPEG with an HTML page appended after its end-of-image marker."""
    buffer = io.BytesIO()
    upright_picture(400, 300).save(buffer, "JPEG", quality=90)
    path = directory / "polyglot.jpg"
    path.write_bytes(buffer.getvalue() + HTML)
    return path


def cmyk_jpeg(directory):
    """A CMYK JPEG (as print shops and Photoshop export) of the upright picture."""
    path = directory / "cmyk.jpg"
    upright_picture(400, 300).convert("CMYK").save(path, "JPEG", quality=95)
    return path


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width, height, bit_depth, colour_type, idat):
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


def bomb_png(directory, side=20000):
    """A valid 1-bit PNG of side x side black pixels: about 50 KB on disk, 400 MB once decoded."""
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    path = directory / "bomb.png"
    path.write_bytes(_png(side, side, 1, 0, idat))
    return path


def header_only_png(directory, width, height):
    """A PNG whose header claims width x height but whose pixel data stops at once."""
    path = directory / "header-only.png"
    path.write_bytes(_png(width, height, 8, 2, zlib.compress(b"\x00" * 64)))
    return path


def png16(directory, width=512, height=64):
    """A 16-bit greyscale PNG: a ramp from black (left) to white (right)."""
    img = Image.new("I;16", (width, height))
    img.putdata([x * 65535 // (width - 1) for _ in range(height) for x in range(width)])
    path = directory / "ramp16.png"
    img.save(path, "PNG")
    return path


def transparent_png(directory, width=400, height=300):
    """RGBA PNG: left half fully transparent, right half opaque red."""
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((width // 2, 0, width, height), fill=RED + (255,))
    path = directory / "transparent.png"
    img.save(path, "PNG")
    return path


def palette_png_with_transparency(directory):
    """A palette PNG whose first colour is transparent (tRNS chunk), as GIF-era tools write it."""
    img = Image.new("P", (100, 100), 0)
    img.putpalette([0, 0, 0, *RED] + [0] * 762)
    ImageDraw.Draw(img).rectangle((50, 0, 99, 99), fill=1)
    path = directory / "palette.png"
    img.save(path, "PNG", transparency=0)
    return path


def plain_png(directory, width, height, name="plain.png"):
    """An RGB PNG of the upright picture at width x height."""
    path = directory / name
    upright_picture(width, height).save(path, "PNG")
    return path


def heic(directory):
    """A HEIC photo (as iPhones take them) with EXIF GPS."""
    heif = pillow_heif.from_pillow(upright_picture(640, 480))
    path = directory / "photo.heic"
    heif.save(path, quality=90, exif=exif_with_gps().tobytes())
    return path


def large_heic(directory, width=3200, height=402):
    """A HEIC wide enough to be reduced by two while decoding, in two bands (the second partial), with EXIF GPS."""
    heif = pillow_heif.from_pillow(upright_picture(width, height))
    path = directory / "large.heic"
    heif.save(path, quality=90, exif=exif_with_gps().tobytes(), enc_params={"preset": "ultrafast"})
    return path


def heic_with_broken_exif(directory):
    """A HEIC whose EXIF block is not TIFF data at all, as some apps write it."""
    heif = pillow_heif.from_pillow(upright_picture(64, 48))
    path = directory / "broken-exif.heic"
    heif.save(path, quality=90, exif=b"\x00\x05\x00\x00\x00\x03\x00\x00" + b"\xff" * 30)
    return path


def webp_with_metadata(directory):
    """A WebP with EXIF GPS, XMP and an ICC profile."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = directory / "photo.webp"
    upright_picture(640, 480).save(path, "WEBP", exif=exif_with_gps(), xmp=XMP, icc_profile=srgb)
    return path


def _s15(value):
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(x, y, z):
    return b"XYZ \x00\x00\x00\x00" + _s15(x) + _s15(y) + _s15(z)


def swapped_rgb_icc():
    """An ICC v2 RGB profile whose red and blue primaries are sRGB's blue and red."""
    description = b"Swapped red and blue\x00"
    tags = {
        b"desc": (b"desc\x00\x00\x00\x00" + struct.pack(">I", len(description)) + description
                  + b"\x00" * 11 + b"\x00" * 67),
        b"wtpt": _xyz_tag(0.9642, 1.0, 0.8249),
        b"rXYZ": _xyz_tag(0.1431, 0.0606, 0.7141),  # sRGB's blue colorant (D50)
        b"gXYZ": _xyz_tag(0.3851, 0.7169, 0.0971),
        b"bXYZ": _xyz_tag(0.4361, 0.2225, 0.0139),  # sRGB's red colorant (D50)
        b"rTRC": b"curv\x00\x00\x00\x00\x00\x00\x00\x01\x02\x33\x00\x00",  # gamma 2.2
    }
    tags[b"gTRC"] = tags[b"bTRC"] = tags[b"rTRC"]
    table_size = 4 + 12 * len(tags)
    offset, entries, body = 128 + table_size, b"", b""
    for signature, data in tags.items():
        data += b"\x00" * (-len(data) % 4)
        entries += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = 128 + table_size + len(body)
    header = (struct.pack(">I", size) + b"lcms" + b"\x02\x10\x00\x00" + b"mntrRGB XYZ "
              + b"\x00" * 12 + b"acsp" + b"\x00" * 28 + _s15(0.9642) + _s15(1.0) + _s15(0.8249))
    header += b"\x00" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + entries + body


def red_png_tagged_blue(directory):
    """A PNG of pure red pixels whose ICC profile says those values are blue."""
    path = directory / "swapped-icc.png"
    Image.new("RGB", (64, 64), (255, 0, 0)).save(path, "PNG", icc_profile=swapped_rgb_icc())
    return path


# Files that are not photos we accept, whatever their name says.

def gif_named_jpg(directory):
    """A GIF saved under a .jpg name."""
    path = directory / "photo.jpg"
    upright_picture(100, 80).save(path, "GIF")
    return path


def saved_as(fmt, suffix):
    """A builder of the upright picture saved by Pillow in fmt."""
    def build(directory):
        path = directory / f"photo.{suffix}"
        upright_picture(100, 80).save(path, fmt)
        return path
    build.__name__ = f"{fmt.lower()}_file"
    return build


def svg(directory):
    """An SVG image (XML, with a script)."""
    path = directory / "photo.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                    '<script>alert(1)</script><rect width="10" height="10" fill="red"/></svg>')
    return path


def text_file(directory):
    """A text file named like a photo."""
    path = directory / "photo.png"
    path.write_text("Madu kelulut asli dari Tenggarong, 250 ml.\n")
    return path


def empty_file(directory):
    """A file of zero bytes."""
    path = directory / "empty.jpg"
    path.write_bytes(b"")
    return path


def photo_like(width, height):
    """An RGB picture with a photo's spread of detail: mid-tone gradients under multi-scale noise, so it
    compresses about like a real photo (a flat picture would make any byte limit trivially met)."""
    texture = Image.new("L", (width, height), 128)
    for step, sigma, weight in ((128, 80, 0.5), (32, 70, 0.45), (8, 60, 0.4), (2, 50, 0.35), (1, 30, 0.25)):
        octave = Image.effect_noise((max(1, width // step), max(1, height // step)), sigma)
        texture = Image.blend(texture, octave.resize((width, height), Image.Resampling.BICUBIC), weight)
    ramp = Image.linear_gradient("L").resize((width, height))
    base = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_90).resize((width, height)),
                              Image.new("L", (width, height), 110)))
    return ImageChops.overlay(base, Image.merge("RGB", [texture] * 3))


def large_phone_jpeg(directory, width=4000, height=3000):
    """A 12 MP photo-like JPEG stored on its side (EXIF orientation 6), as phones write them."""
    path = directory / "large-phone.jpg"
    photo_like(height, width).transpose(Image.Transpose.ROTATE_90).save(
        path, "JPEG", quality=90, exif=exif_with_gps(orientation=6))
    return path


def large_phone_heic(directory, width=3000, height=4000):
    """A 12 MP photo-like HEIC, the size an iPhone takes."""
    path = directory / "large-phone.heic"
    pillow_heif.from_pillow(photo_like(width, height)).save(path, quality=60, exif=exif_with_gps().tobytes(),
                                                           enc_params={"preset": "ultrafast"})
    return path
