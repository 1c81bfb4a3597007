"""Private files: what this server keeps on disk (the ledger, the reveal cache with emails and
phones, the confirmation-token secret, the sandbox data) is readable by its owner only.

Directories are 0700 and files 0600, set explicitly (chmod), so the process umask does not
decide. SQLite files are created 0600 before the first connection; SQLite gives the -wal and
-shm files it creates the database file's mode. On platforms without POSIX modes (Windows) the
chmod calls are no-ops and the user's profile permissions apply.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def _has_modes() -> bool:
    return os.name == "posix"


def private_dir(path: Path) -> Path:
    """`path` created if missing (with its parents) and made 0700; its parents are left as they are."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if _has_modes():
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """`path` created empty if missing, in a 0700 directory, and made 0600 (with any SQLite
    -wal/-shm/-journal companions): call it before sqlite3.connect."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    if _has_modes():
        for candidate in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
            with contextlib.suppress(FileNotFoundError):
                os.chmod(candidate, FILE_MODE)
    return path


def tighten(root: Path) -> None:
    """Make `root` and everything under it owner-only (0700 directories, 0600 files), as on a
    data dir left by an older version; symlinks are not followed."""
    private_dir(root)
    if not _has_modes():
        return
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            target = Path(folder, name)
            if not target.is_symlink():
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(target, DIR_MODE)
        for name in files:
            target = Path(folder, name)
            if not target.is_symlink():
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(target, FILE_MODE)
