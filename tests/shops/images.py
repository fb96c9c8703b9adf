"""Real image files (and one impostor) made with Pillow for the producer tests."""
import io

from PIL import Image


def jpeg_bytes(size=(640, 480), colour=(180, 90, 20)):
    """A real JPEG of one colour; different colours make different photos (different content hashes)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def distinct_jpegs(count, size=(96, 72)):
    """count JPEGs that all differ, so none is recognised as a duplicate of another."""
    return [jpeg_bytes(size, (20 * i % 256, 255 - 20 * i % 256, 90)) for i in range(count)]


def gif_bytes():
    """A real GIF: a format the marketplace refuses whatever the file is called."""
    buffer = io.BytesIO()
    Image.new("P", (32, 32), 3).save(buffer, "GIF")
    return buffer.getvalue()


def media_files(root):
    """Every stored file under MEDIA_ROOT (temporary files included), as relative paths."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []
