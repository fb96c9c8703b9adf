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
"""
import ctypes
import os
from functools import cache

# mallopt's parameter number for the mmap threshold (malloc.h).
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 8 << 20


@cache
def return_large_buffers_to_the_system():
    """Fix glibc's mmap threshold at 8 MB, once per process; True if it was set (False elsewhere than glibc)."""
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):  # not a name this system knows: not glibc
        glibc = None
    if not glibc:
        return False
    # The C library this process already uses (CDLL(None) is the process itself, which links it).
    return ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
