"""Keeping a photo process's memory flat: large pixel buffers go back to the system when freed.

glibc serves an allocation of 128 KB or more with its own mmap, returned to the system on free, but after freeing
such a block it raises that threshold to the block's size (up to 32 MB). Once a 12 MP HEIC has been decoded, the
threshold is that high and the next photos' pixel buffers (Pillow's images, libde265's planes) come from the heap,
where freed fragments stay resident: a process's peak grows from 75 MB after one such HEIC to 85-108 MB after
seven (bench/images.py, thresholds measured over seven photos in one process). A threshold fixed at 8 MB (which
also stops glibc moving it) keeps the buffers of a whole photo in their own mappings and the peak at 74-76 MB. A
lower one costs more: at 1 MB the peak is 64-69 MB, but every megabyte-sized buffer then costs fresh pages, twice
the page faults of a JPEG photo (about 30 ms of system CPU on a loaded 2-core VM); at 8 MB a JPEG photo has a
third more faults and a HEIC none more.

A HEIC is where 8 MB is too high. libde265 and libheif hold the picture in planes of 3 to 12 MB (a 12 MP photo's
chroma planes are 3 MB each); at 8 MB the chroma planes come from the heap, and the holes they leave grow the peak
from 74 MB after one HEIC to 79-80 MB after three or more in the same process (five 12 MP HEICs,
tests/media/test_service.py), at the edge of the 80 MB a photo may take. While a HEIC is processed the threshold is
2 MB: five 12 MP HEICs in a fresh process then peak at 69.5-69.9 MB above its start, against 78.7-80.2 MB, for
27% more page faults on a photo whose decode takes half a second of CPU anyway. A JPEG keeps 8 MB: at 2 MB it would
have 51% more faults (13,800 against 9,200 a photo) for a peak that is already 31 MB.
"""
import ctypes
import os
from contextlib import contextmanager
from functools import cache

# mallopt's parameter number for the mmap threshold (malloc.h).
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 8 << 20
HEIF_THRESHOLD_BYTES = 2 << 20


@cache
def return_large_buffers_to_the_system():
    """Fix glibc's mmap threshold at 8 MB, once per process; True if it was set (False elsewhere than glibc)."""
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):  # not a name this system knows: not glibc
        glibc = None
    if not glibc:
        return False
    return _mmap_threshold(MMAP_THRESHOLD_BYTES)


def _mmap_threshold(size):
    # The C library this process already uses (CDLL(None) is the process itself, which links it).
    return ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, size) == 1


@contextmanager
def heif_buffers_returned(is_heif):
    """For a HEIC (is_heif), buffers of 2 MB or more get their own mappings inside, and 8 MB again after."""
    if not (is_heif and return_large_buffers_to_the_system()):
        yield
        return
    _mmap_threshold(HEIF_THRESHOLD_BYTES)
    try:
        yield
    finally:
        _mmap_threshold(MMAP_THRESHOLD_BYTES)
