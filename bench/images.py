"""Benchmark: the photo pipeline (process_upload's work, run in one process) against a naive Pillow pipeline. Not a test.

    python bench/images.py [--repeat 7] [--sweep] [--no-heic]

The input is a synthetic 12 MP phone photo: a 4000x3000 JPEG (quality 92, EXIF
orientation 6) of shapes, gradients and multi-scale noise, which compresses
about like a real photo (2-2.5 bits per pixel). Naive = full decode,
exif_transpose, four LANCZOS resizes from full size, WebP at default settings
(it keeps no master). Ours also writes the 2000 px master variants are rebuilt
from. The speed-up goal is judged on CPU time (time.process_time), since other
processes on a shared machine stretch wall time; wall time is shown too.

Then (unless --no-heic) our pipeline runs on the same photo as a 3000x4000 HEIC, twice:
as the 5.5 MB file the goal was set on (quality 80, 3.7 bits per pixel: larger than
the photo's own JPEG) and as a 2 MB one (quality 50, 1.3 bits per pixel, about what
an iPhone writes for 12 MP). Beside each, in the same run, libheif's decode alone
(pillow_heif, into its RGB buffer): the floor no pipeline can go under. Its time is
about proportional to the file's size (CABAC entropy decoding in libde265 is about
60% of it, the YCbCr-to-RGB conversion 5%), and libheif has no reduced-size decode.

Each pipeline runs in a fresh subprocess. Peak memory is that process's peak
resident set (VmHWM, reset just before the first photo) minus its resident set
at that moment: Pillow's pixel buffers are malloc'ed in C, which tracemalloc
does not see, so the tracemalloc peak is shown only as Python's share.
"""
import argparse
import hashlib
import io
import json
import math
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from PIL import ExifTags, Image, ImageChops, ImageDraw, ImageFilter, ImageOps  # noqa: E402

from marketplace.media import service  # noqa: E402
from marketplace.media.storage import LocalStorage  # noqa: E402

GOAL_SPEEDUP, GOAL_MS, GOAL_MB, GOAL_640_BYTES, GOAL_HEIC_MS = 3.0, 250, 80, 60_000, 1000
HEIC_QUALITIES = {"goal": 80, "iPhone-sized": 50}


def _texture(width, height):
    """Grey noise summed over octaves, coarse to fine: roughly the 1/f spectrum of real scenes."""
    texture = Image.new("L", (width, height), 128)
    for step, sigma, weight in ((128, 80, 0.5), (32, 70, 0.45), (8, 60, 0.4), (2, 50, 0.35), (1, 30, 0.25)):
        octave = Image.effect_noise((width // step, height // step), sigma)
        texture = Image.blend(texture, octave.resize((width, height), Image.Resampling.BICUBIC), weight)
    return texture


def synthetic_photo(path, width=4000, height=3000, seed=1):
    """Write a photo-like 12 MP JPEG with EXIF orientation 6 to path."""
    rnd = random.Random(seed)
    ramp = Image.linear_gradient("L").resize((width, height))
    other_ramp = ramp.rotate(90).resize((width, height))
    img = Image.merge("RGB", (ramp, other_ramp, Image.new("L", (width, height), 90)))
    draw = ImageDraw.Draw(img)
    for _ in range(120):
        x, y, r = rnd.randrange(width), rnd.randrange(height), rnd.randrange(40, 700)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        if rnd.random() < 0.5:
            draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
        else:
            corners = [(x + rnd.randrange(-r, r), y + rnd.randrange(-r, r)) for _ in range(5)]
            draw.polygon(corners, fill=colour)
    texture = _texture(width, height)
    img = ImageChops.overlay(img.filter(ImageFilter.GaussianBlur(2)), Image.merge("RGB", [texture] * 3))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    img.save(path, "JPEG", quality=92, exif=exif)


def naive_pipeline(data, storage):
    """Full decode, upright, three LANCZOS resizes from full size, WebP defaults; returns {size: key}."""
    img = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    keys = {}
    for size in service.VARIANT_SIZES:
        dims = service.variant_dimensions(img.width, img.height, size)
        variant = img.resize(dims, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        variant.save(buffer, "WEBP")
        keys[size] = f"naive/{size}.webp"
        storage.save(keys[size], buffer.getvalue())
    return keys


def our_pipeline(data, storage):
    """What process_upload does, with the photo child's part (service._master_and_variants) run in this process so
    that its CPU time and memory are this process's; returns {size: key} plus the master under size 0."""
    master_bytes, suffix, variants, _width, _height = service._master_and_variants(data)
    content_hash = hashlib.sha256(master_bytes).hexdigest()
    keys = {size: service.variant_key(content_hash, size) for size in variants}
    files = {keys[size]: variant for size, variant in variants.items()}
    files[service.master_key(content_hash, suffix)] = master_bytes
    service._store_new(storage, files)
    return {**keys, 0: service.master_key(content_hash, suffix)}


def heic_decode_only(data, storage):
    """libheif's decode of the primary image into its RGB buffer, nothing else: the floor for a HEIC (under the
    same process settings as the pipeline's, which _configure_pillow makes)."""
    import pillow_heif

    service._configure_pillow()
    heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True, remove_stride=False)
    len(memoryview(heif[heif.primary_index].data))
    return {}


PIPELINES = {"naive": naive_pipeline, "ours": our_pipeline, "heic-decode": heic_decode_only}


def _status_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def worker(name, input_path, repeat, output_dir):
    """Run one pipeline repeat+1 times in this fresh process; print figures as JSON."""
    pipeline, data = PIPELINES[name], Path(input_path).read_bytes()
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak resident set (VmHWM)
    baseline_kib = _status_kib("VmRSS")
    walls, cpus = [], []
    for _ in range(repeat + 1):  # the first, cold run is left out of the timings
        folder = Path(tempfile.mkdtemp(dir=output_dir))
        wall, cpu = time.perf_counter(), time.process_time()
        keys = pipeline(data, LocalStorage(folder))
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        sizes = {size: (folder / key).stat().st_size for size, key in keys.items()}
        kept = folder
        if len(walls) <= repeat:
            shutil.rmtree(folder)
    peak_mb = (_status_kib("VmHWM") - baseline_kib) / 1024
    tracemalloc.start()
    pipeline(data, LocalStorage(tempfile.mkdtemp(dir=output_dir)))
    python_peak_mb = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    print(json.dumps({"wall_ms": walls[1:], "cpu_ms": cpus[1:], "peak_mb": peak_mb,
                      "python_peak_mb": python_peak_mb, "bytes": sizes,
                      "files": {size: str(kept / key) for size, key in keys.items()}}))


def psnr(path_a, path_b):
    """PSNR in dB between two images of the same size."""
    with Image.open(path_a) as a, Image.open(path_b) as b:
        histogram = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).histogram()
    squared = sum(count * (value % 256) ** 2 for value, count in enumerate(histogram))
    mse = squared / (sum(histogram) or 1)
    return float("inf") if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def run(name, input_path, repeat, output_dir):
    """Run a pipeline's worker in a fresh subprocess and return its figures."""
    command = [sys.executable, __file__, "--worker", name, str(input_path), str(repeat), str(output_dir)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    figures = json.loads(result.stdout)
    figures["bytes"] = {int(k): v for k, v in figures["bytes"].items()}
    figures["files"] = {int(k): v for k, v in figures["files"].items()}
    return figures


def report(results, photo, repeat):
    """Print the comparison and the goals, met or missed."""
    print(f"input: {photo.stat().st_size / 1e6:.2f} MB JPEG, 4000x3000, EXIF orientation 6; "
          f"{repeat} timed runs per pipeline after one cold run\n")
    print(f"{'pipeline':8} {'median ms':>10} {'min ms':>7} {'cpu ms':>7} {'peak RSS MB':>12} "
          f"{'python MB':>10}  bytes 320 / 640 / 960 / 1280 (master)")
    for name, r in results.items():
        b = r["bytes"]
        master = f" ({b[0]:,})" if 0 in b else ""
        print(f"{name:8} {statistics.median(r['wall_ms']):10.0f} {min(r['wall_ms']):7.0f} "
              f"{statistics.median(r['cpu_ms']):7.0f} {r['peak_mb']:12.1f} {r['python_peak_mb']:10.1f}  "
              f"{b[320]:,} / {b[640]:,} / {b[960]:,} / {b[1280]:,}{master}")
    ours, naive = results["ours"], results["naive"]
    wall_speedup = statistics.median(naive["wall_ms"]) / statistics.median(ours["wall_ms"])
    speedup = statistics.median(naive["cpu_ms"]) / statistics.median(ours["cpu_ms"])
    print(f"\nours vs naive: {speedup:.1f}x less CPU (medians, same run), {wall_speedup:.1f}x faster (median wall)")
    similarity = (f"{size}: {psnr(ours['files'][size], naive['files'][size]):.1f} dB"
                  for size in service.VARIANT_SIZES)
    print("PSNR of our variants against naive's: " + ", ".join(similarity))
    goals = [
        (f">= {GOAL_SPEEDUP:g}x less CPU than naive", speedup >= GOAL_SPEEDUP),
        (f"< {GOAL_MS} ms per photo (median wall)", statistics.median(ours["wall_ms"]) < GOAL_MS),
        (f"< {GOAL_MS} ms per photo (median CPU)", statistics.median(ours["cpu_ms"]) < GOAL_MS),
        (f"< {GOAL_MB} MB peak per photo", ours["peak_mb"] < GOAL_MB),
        (f"640 variant < {GOAL_640_BYTES // 1000} KB", ours["bytes"][640] < GOAL_640_BYTES),
    ]
    for goal, met in goals:
        print(f"  {'met   ' if met else 'MISSED'} {goal}")


def sweep(photo):
    """CPU ms and bytes of each WebP method on our master and variants: why the settings are what they are."""
    master = service._normalise(service._decode(photo.read_bytes()))
    images = {"master": (master, service.MASTER_WEBP["quality"])}
    for size in sorted(service.VARIANT_SIZES, reverse=True):
        dims = service.variant_dimensions(master.width, master.height, size)
        images[size] = (master.resize(dims, service.RESAMPLE), service.VARIANT_WEBP["quality"])
    for method in (0, 2, 4, 6):
        cells = []
        for name, (img, quality) in images.items():
            timings = []
            for _ in range(3):  # the least of three: other processes only ever add time
                start = time.process_time()
                data = service._encode(img, {"quality": quality, "method": method})
                timings.append((time.process_time() - start) * 1000)
            cells.append(f"{name} {min(timings):5.0f} ms {len(data):>9,} B")
        print(f"method {method}: " + " | ".join(cells))


def heic_photo(photo, path, quality):
    """Write photo (a JPEG) upright as a 3000x4000 HEIC to path."""
    import pillow_heif

    with Image.open(photo) as img:
        upright = ImageOps.exif_transpose(img)
    pillow_heif.from_pillow(upright).save(path, quality=quality, enc_params={"preset": "ultrafast"})


def report_heic(label, path, ours, floor, repeat):
    """Print our pipeline's figures on one HEIC beside libheif's decode alone, and the goals for it."""
    cpu, floor_cpu = statistics.median(ours["cpu_ms"]), statistics.median(floor["cpu_ms"])
    print(f"\nHEIC ({label}) {path.stat().st_size / 1e6:.2f} MB, 3000x4000, {repeat} timed runs, medians:")
    for name, r in (("ours", ours), ("decode", floor)):
        print(f"  {name:7} {statistics.median(r['cpu_ms']):5.0f} ms CPU {statistics.median(r['wall_ms']):6.0f} ms wall"
              f"   peak RSS {r['peak_mb']:5.1f} MB, python {r['python_peak_mb']:.1f} MB")
    print(f"  decoding is {floor_cpu / cpu:.0%} of our CPU; the rest of the pipeline {cpu - floor_cpu:.0f} ms")
    for goal, met in ((f"< {GOAL_HEIC_MS} ms per HEIC (median CPU)", cpu < GOAL_HEIC_MS),
                      (f"< {GOAL_MB} MB peak per HEIC", ours["peak_mb"] < GOAL_MB),
                      (f"640 variant < {GOAL_640_BYTES // 1000} KB", ours["bytes"][640] < GOAL_640_BYTES)):
        print(f"  {'met   ' if met else 'MISSED'} {goal}")


def main():
    """Build the photo, run both pipelines in fresh processes, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sweep", action="store_true", help="also compare WebP methods")
    parser.add_argument("--no-heic", action="store_true", help="skip the 12 MP HEICs")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        name, input_path, repeat, output_dir = args.worker
        return worker(name, input_path, int(repeat), output_dir)
    with tempfile.TemporaryDirectory() as temp:
        photo = Path(temp) / "photo.jpg"
        synthetic_photo(photo)
        results = {name: run(name, photo, args.repeat, temp) for name in ("naive", "ours")}
        report(results, photo, args.repeat)
        for label, quality in ({} if args.no_heic else HEIC_QUALITIES).items():
            heic = Path(temp) / f"photo-q{quality}.heic"
            heic_photo(photo, heic, quality)
            report_heic(label, heic, run("ours", heic, args.repeat, temp), run("heic-decode", heic, args.repeat, temp),
                        args.repeat)
        if args.sweep:
            print()
            sweep(photo)


if __name__ == "__main__":
    main()
