"""``keys/`` in a backup (voting/services/backup.py says why it is sealed).

The files go in as one tar, member ``keys.sealed`` (that tar sealed under a
passphrase, voting/crypto/passphrase.py) or ``keys.tar`` (in clear, when
the operator asks). Restoring writes each file with mode 0600, and never
replaces a different file without ``force``.
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path
from pathlib import PurePosixPath

from ..crypto import passphrase as sealing
from ..crypto.envelope import CannotOpen
from ..crypto.errors import InvalidStructure
from .backup_archive import ArchiveDamaged
from .errors import DomainError

LABEL = "voting/v1/backup-keys"
MEMBER = {"sealed": "keys.sealed", "clear": "keys.tar"}
#: keys/README.md is the repository's, not key material.
SKIPPED = {"README.md"}
MAX_FILE = 16 << 20


class KeysLocked(DomainError):
    """The keys in this backup are sealed: their passphrase is needed."""

    code, status = "keys_locked", 403


class KeyConflict(DomainError):
    """A key file differs from the backup's copy."""

    code, status = "key_conflict", 409


def collect(keys_dir) -> dict[str, bytes]:
    """The files under ``keys_dir`` a backup holds, by relative POSIX path."""
    root = Path(keys_dir)
    if not root.is_dir():
        return {}
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file() and path.relative_to(root).as_posix() not in SKIPPED}


def pack(files: dict[str, bytes], passphrase: str | None) -> tuple[str, bytes]:
    """(member name, bytes): the files as a tar, sealed if a passphrase is given."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
    if passphrase is None:
        return MEMBER["clear"], buffer.getvalue()
    return MEMBER["sealed"], sealing.seal(buffer.getvalue(), passphrase, LABEL)


def _safe_name(name: str) -> str:
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ArchiveDamaged(f"the keys hold a file with an unsafe name {name!r}")
    return name


def _untar(blob: bytes) -> dict[str, bytes]:
    files = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:") as tar:
            for info in tar:
                if not info.isfile() or info.size > MAX_FILE:
                    raise ArchiveDamaged(f"the keys hold {info.name!r}, not a small file")
                files[_safe_name(info.name)] = tar.extractfile(info).read()
    except tarfile.TarError as exc:
        raise ArchiveDamaged("the keys member is not a tar") from exc
    return files


def unpack(paths: dict[str, Path], passphrase: Callable[[], str] | None) -> dict[str, bytes]:
    """The key files of a checked archive's members (none if it has no keys).

    :param passphrase: gives the passphrase; asked only if the keys are sealed.
    :raises KeysLocked: sealed, and no passphrase or one that does not open them.
    """
    if MEMBER["clear"] in paths:
        return _untar(paths[MEMBER["clear"]].read_bytes())
    if MEMBER["sealed"] not in paths:
        return {}
    if passphrase is None:
        raise KeysLocked("the keys in this backup are sealed: give --keys-passphrase-file "
                         "or type their passphrase; nothing was restored")
    try:
        blob = sealing.open_sealed(paths[MEMBER["sealed"]].read_bytes(), passphrase(), LABEL)
    except CannotOpen:
        raise KeysLocked("this passphrase does not open the keys sealed in the backup; "
                         "nothing was restored") from None
    except InvalidStructure as exc:
        raise ArchiveDamaged(f"the sealed keys are unreadable: {exc}") from exc
    return _untar(blob)


def plan(keys_dir, files: dict[str, bytes], force: bool) -> tuple[list[str], list[str]]:
    """(files to write, files already there with the same bytes).

    :raises KeyConflict: a file is there with other bytes, and not ``force``.
    """
    write, same = [], []
    for name, data in files.items():
        target = Path(keys_dir) / name
        if target.is_file() and target.read_bytes() == data:
            same.append(name)
        elif target.exists() and not force:
            raise KeyConflict(f"{target} exists and differs from the backup's copy: move it "
                              "away, or give --force to replace it; nothing was restored")
        else:
            write.append(name)
    return write, same


def write(keys_dir, files: dict[str, bytes], names: list[str]) -> None:
    """Write ``names`` of ``files`` under ``keys_dir``: mode 0600, each
    replaced atomically; folders made with mode 0700."""
    for name in names:
        path = Path(keys_dir) / name
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.restore")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(files[name])
        os.replace(tmp, path)
