"""Keeping large C allocations out of the heap, so a flood of refused handshakes is given back.

A TLS handshake allocates OpenSSL buffers of tens to hundreds of kilobytes and
frees them when it ends. glibc serves allocations that large from its heap
once its *dynamic* mmap threshold has risen (it rises each time such a block is
freed, up to 32 MiB), and then keeps the freed pages for reuse: a few hundred
strangers' handshakes left a terminal 30 MiB larger for good (issue 21, defect 4;
``bench/tls_flood.py``). ``malloc_trim`` does not help: the pages are fragmented
between live blocks.

``mallopt(M_MMAP_THRESHOLD, 64 KiB)`` fixes the threshold (and turns the dynamic
adjustment off): every allocation of 64 KiB or more gets its own mapping,
unmapped the moment it is freed. Measured: the same flood ends at +14.6 MiB
instead of +31 MiB. What it costs is an mmap/munmap pair per allocation of
64 KiB or more, which the message path makes rarely (a message's text is at
most 60,000 bytes); see docs/performance.md for the latency before and after.

Only ``hotline run`` calls it (the setting is process-wide). On a C library
without ``mallopt`` (musl, macOS) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["MMAP_THRESHOLD", "cap_mmap_threshold"]

#: Allocations of at least this many bytes get a mapping of their own.
MMAP_THRESHOLD = 64 * 1024
# glibc's malloc.h: #define M_MMAP_THRESHOLD -3
_M_MMAP_THRESHOLD = -3


def cap_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes; whether the C library took it."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
