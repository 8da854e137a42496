"""Telling an allocation that failed from other errors, on every device.

On CUDA torch raises `torch.OutOfMemoryError`. On the CPU its allocator raises a plain RuntimeError
("DefaultCPUAllocator: can't allocate memory"), oneDNN fails to create a primitive whose scratch memory
it could not get, mmap of the weights fails with ENOMEM, and Python raises MemoryError. A laptop that
runs out of memory shows these, and each deserves the same answer: free what can be freed, say so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import torch

_CPU_SIGNS = ("can't allocate memory", "Cannot allocate memory", "could not create a primitive")


def out_of_memory(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, is a failed allocation."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, torch.OutOfMemoryError | MemoryError):
            return True
        if isinstance(error, RuntimeError) and any(sign in str(error) for sign in _CPU_SIGNS):
            return True
        error, seen = error.__cause__, seen + 1
    return False


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_freed_memory() -> None:
    """Give the memory just freed back to the system. The KV blocks are a few hundred KB each, and glibc
    keeps freed blocks of that size in its heap: without this an emptied cache still holds its pages,
    and the allocation tried again after it fails the same way (glibc only; elsewhere nothing)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
