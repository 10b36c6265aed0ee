"""The data dir is private to its owner: directories 0700, files 0600 (database, spool, logs, server files).

Stored articles, the SQLite file and the embedded server's credentials are nobody else's business on a shared
machine. A directory made here is 0700 whatever the umask; a data dir left by an older newsmon with 0755/0644
modes is tightened (with a log line) when the embedded server starts on it. Standard library only: the
embedded server, the spool and the scheduler all use it.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def private_dir(path: Path) -> Path:
    """Create `path` and its missing parents as 0700; tighten `path` if it exists with looser modes.

    (`mkdir(parents=True)` would create the parents with the umask's modes: a data dir made 0755 by the
    first `locks/` or `spool/` below it.) Existing parents are not touched: they are not ours.
    """
    path = Path(path)
    missing = []
    parent = path
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for directory in reversed(missing):
        directory.mkdir(mode=DIR_MODE, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & _OTHERS:
        os.chmod(path, mode & ~_OTHERS)
        logger.warning("%s was readable by other users (mode %o): tightened to %o", path, mode, mode & ~_OTHERS)
    return path


def tighten_tree(root: Path) -> int:
    """Remove group and other permissions from everything under `root` (itself included); returns how many
    entries were looser (one log line for all). Symlinks are left alone and not followed."""
    root = Path(root)
    changed = int(_tighten(root))
    for directory, dirnames, filenames in os.walk(root):
        changed += sum(_tighten(Path(directory) / name) for name in (*dirnames, *filenames))
    if changed:
        logger.warning(
            "%s: %d files or directories were readable by other users: tightened to owner only", root, changed
        )
    return changed


def _tighten(path: Path) -> bool:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode) or not mode & _OTHERS:
        return False
    os.chmod(path, mode & ~_OTHERS)
    return True


def private_opener(path: str, flags: int) -> int:
    """`open(..., opener=private_opener)`: a new file is created 0600 whatever the umask."""
    return os.open(path, flags, FILE_MODE)
