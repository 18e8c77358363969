"""The backup archive as a file: one uncompressed tar (voting/services/backup.py).

Members, each a regular file at the top level::

    manifest.json                    always, first
    database.sqlite3 | database.pgdump
    keys.sealed | keys.tar           keys/ sealed under a passphrase, or in clear

``manifest.json`` names every other member with its size and SHA-256.
:func:`read_archive` copies the members out and checks them all against it
before the caller writes anything: a truncated or altered archive is refused
as a whole. The hashes find damage, not a forger (who would rewrite the
manifest too): the sealed keys are authenticated by their own AEAD tag, and
the archive's own SHA-256, printed at backup, can be compared at restore.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zlib
from pathlib import Path

from . import exact
from .errors import DomainError

FORMAT = "voting/v1/backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: Every name a member may have besides the manifest.
MEMBERS = frozenset({"database.sqlite3", "database.pgdump", "keys.sealed", "keys.tar"})
MAX_MANIFEST = 1 << 20
CHUNK = 1 << 20


class ArchiveDamaged(DomainError):
    """The archive is not a complete, unaltered backup."""

    code, status = "archive_damaged", 400


def file_sha256(path: Path) -> tuple[str, int]:
    """(SHA-256 in hex, size) of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _info(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, 0o600
    return info


def write_archive(out: Path, manifest: dict, members: dict[str, Path], *, force: bool,
                  mtime: int) -> str:
    """Write ``manifest`` (with each member's size and SHA-256 added under
    ``"members"``) and the member files to ``out``, mode 0600, atomically:
    to a temporary file beside it, then renamed. Returns the archive's SHA-256.

    :raises FileExistsError: ``out`` exists and not ``force`` (checked again
        at the rename, so that two backups never overwrite each other).
    """
    assert set(members) <= MEMBERS
    listed = {}
    for name, path in members.items():
        sha256, size = file_sha256(path)
        listed[name] = {"sha256": sha256, "size": size}
    body = json.dumps({**manifest, "members": listed}, ensure_ascii=False, indent=1,
                      sort_keys=True).encode() + b"\n"
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            with tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tar:
                tar.addfile(_info(MANIFEST, len(body), mtime), io.BytesIO(body))
                for name, path in members.items():
                    with open(path, "rb") as data:
                        tar.addfile(_info(name, listed[name]["size"], mtime), data)
            f.flush()
            os.fsync(f.fileno())
        if force:
            os.replace(tmp, out)
        else:
            os.link(tmp, out)  # atomic: fails if out exists
    finally:
        tmp.unlink(missing_ok=True)
    return file_sha256(out)[0]


def _copy_member(tar: tarfile.TarFile, info: tarfile.TarInfo, dest: Path) -> None:
    source = tar.extractfile(info)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(CHUNK):
            out.write(chunk)


def _extract(archive: Path, workdir: Path) -> tuple[bytes, dict[str, Path]]:
    """The manifest's bytes and every other member copied into ``workdir``
    (under its own name, never a path the archive chose)."""
    manifest, paths = None, {}
    with tarfile.open(archive, mode="r:*") as tar:
        for info in tar:
            name = info.name
            if name != MANIFEST and name not in MEMBERS:
                raise ArchiveDamaged(f"unexpected member {name!r}: not a backup of this app")
            if not info.isfile():
                raise ArchiveDamaged(f"member {name!r} is not a regular file")
            if name == MANIFEST:
                if manifest is not None or info.size > MAX_MANIFEST:
                    raise ArchiveDamaged("the archive has more than one manifest, or a huge one")
                manifest = tar.extractfile(info).read()
                continue
            if name in paths:
                raise ArchiveDamaged(f"member {name!r} appears twice")
            paths[name] = workdir / name
            _copy_member(tar, info, paths[name])
    if manifest is None:
        raise ArchiveDamaged("the archive has no manifest.json: not a backup of this app")
    return manifest, paths


def _parse_manifest(raw: bytes) -> dict:
    try:
        manifest = exact.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ArchiveDamaged("manifest.json is not valid JSON") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveDamaged(f"manifest.json is not a {FORMAT} manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveDamaged(f"backup format version {manifest.get('format_version')!r} is "
                             f"not {FORMAT_VERSION}: restore it with the version that made it")
    listed = manifest.get("members")
    if (not isinstance(listed, dict) or not set(listed) <= MEMBERS
            or not all(isinstance(v, dict) and isinstance(v.get("sha256"), str)
                       and exact.is_int(v.get("size"), 0) for v in listed.values())):
        raise ArchiveDamaged("manifest.json does not list the members with size and sha256")
    return manifest


def read_archive(archive: Path, workdir: Path) -> tuple[dict, dict[str, Path]]:
    """The manifest and the members' copies in ``workdir``, once every member
    the manifest lists is there, whole, with its SHA-256, and no other.

    :raises ArchiveDamaged: truncated, altered, or not a backup at all.
    """
    try:
        raw, paths = _extract(archive, workdir)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise ArchiveDamaged(f"{archive} is truncated or not a backup archive ({exc})") from exc
    manifest = _parse_manifest(raw)
    listed = manifest["members"]
    if set(listed) != set(paths):
        missing = sorted(set(listed) - set(paths)) or sorted(set(paths) - set(listed))
        raise ArchiveDamaged(f"the archive and its manifest differ on {', '.join(missing)}: "
                             "it is truncated or was altered")
    for name, path in paths.items():
        if file_sha256(path) != (listed[name]["sha256"], listed[name]["size"]):
            raise ArchiveDamaged(f"member {name} does not match the SHA-256 in the manifest: "
                                 "the archive is damaged or was altered")
    return manifest, paths
