"""Keeping a photo process's memory flat: large pixel buffers go back to the system when freed.

glibc serves an allocation of 128 KB or more with its own mmap, returned to the system on free, but after
freeing such a block it raises that threshold to the block's size (up to 32 MB). libheif's 36 MB RGB buffer of
a 12 MP HEIC moves it to 32 MB at once; from then on every pixel buffer below that size (Pillow's images,
libde265's planes) comes from the heap, where fragments stay resident: measured with bench/images.py --heic, a
process's peak grows from 75 MB after one HEIC to 108 MB after six. Fixing the threshold (which also stops glibc
moving it) keeps every buffer of 1 MB or more in its own mapping, and the peak at 67 MB. Each such buffer then
costs an mmap, a munmap and its page faults, a few milliseconds per photo; the rest of the app rarely asks for a
megabyte at once.
"""
import ctypes
import os
from functools import cache

# mallopt's parameter number for the mmap threshold (malloc.h).
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1 << 20


@cache
def return_large_buffers_to_the_system():
    """Fix glibc's mmap threshold at 1 MB, once per process; True if it was set (False elsewhere than glibc)."""
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):  # not a name this system knows: not glibc
        glibc = None
    if not glibc:
        return False
    # The C library this process already uses (CDLL(None) is the process itself, which links it).
    return ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
