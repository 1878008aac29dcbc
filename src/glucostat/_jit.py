"""Where numba keeps glucostat's compiled code.

numba's on-disk cache checks only the timestamp of the file that defines a
function, not of the modules it calls or whose constants it uses: after an
edit to an organ module, the cached solver would silently keep the old
physiology. glucostat therefore caches into a directory named after a hash of
its own source files, so any change to any module compiles afresh. A user's
``NUMBA_CACHE_DIR`` is respected (numba then owns invalidation).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import numba

_PACKAGE = Path(__file__).resolve().parent

#: The cache directory chosen when glucostat was imported (None with NUMBA_CACHE_DIR).
ACTIVE_CACHE_DIR: str | None = None


def source_hash() -> str:
    """SHA-1 (first 16 hex digits) over the package's Python sources."""
    h = hashlib.sha1()
    for f in sorted(_PACKAGE.rglob("*.py")):
        h.update(f.relative_to(_PACKAGE).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "glucostat" / f"numba-{source_hash()}"


@contextlib.contextmanager
def package_cache():
    """Within this context, functions decorated with ``cache=True`` cache in :func:`cache_dir`."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        yield
        return
    global ACTIVE_CACHE_DIR
    previous = numba.config.CACHE_DIR
    ACTIVE_CACHE_DIR = str(cache_dir())
    numba.config.CACHE_DIR = ACTIVE_CACHE_DIR
    try:
        yield
    finally:
        numba.config.CACHE_DIR = previous
