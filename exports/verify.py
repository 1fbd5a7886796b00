"""Checking a closing package: the manifest's signature, then every file against the manifest.

``verify_package(path, key)`` raises ``PackageMismatch`` naming the first
thing that does not hold, in this order: the zip itself, ``manifest.json``
and ``manifest.sig`` present, the signature (made with ``key``), then each
member of the zip in its stored order — listed in the manifest, and its
SHA-256 and size as listed — and last every listed file present.
Files are hashed in 1 MiB chunks, so any size verifies in bounded memory.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass

from .packages import CHUNK, FORMAT, MANIFEST, SIGNATURE
from .signing import key_id, signature_valid


class PackageMismatch(Exception):
    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.path = path


@dataclass
class Verified:
    files: int
    bytes: int
    key_id: str
    manifest: dict


def verify_package(path, key) -> Verified:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageMismatch(f"{path}: not a readable zip file ({exc})") from exc
    with zf:
        names = zf.namelist()
        for required in (MANIFEST, SIGNATURE):
            if required not in names:
                raise PackageMismatch(f"{required} is missing: this is not a signed closing package, or it was removed", required)
        if len(set(names)) != len(names):
            duplicate = next(n for n in names if names.count(n) > 1)
            raise PackageMismatch(f"{duplicate} appears more than once in the zip", duplicate)
        body = zf.read(MANIFEST)
        if not signature_valid(key, body, zf.read(SIGNATURE)):
            raise PackageMismatch(
                f"{MANIFEST}: the signature does not match the public key {key_id(key)} "
                "(the manifest was changed, or signed with another key)",
                MANIFEST,
            )
        try:
            manifest = json.loads(body)
            listed = {entry["path"]: entry for entry in manifest["files"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise PackageMismatch(f"{MANIFEST}: signed but not a manifest this tool reads ({exc})", MANIFEST) from exc
        if manifest.get("format") != FORMAT:
            raise PackageMismatch(f"{MANIFEST}: unknown format {manifest.get('format')!r}", MANIFEST)
        total = 0
        for info in zf.infolist():
            name = info.filename
            if name in (MANIFEST, SIGNATURE):
                continue
            entry = listed.get(name)
            if entry is None:
                raise PackageMismatch(f"{name} is not listed in the signed manifest (a file was added)", name)
            digest = hashlib.sha256()
            size = 0
            try:
                with zf.open(info) as stream:
                    while chunk := stream.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a CRC error: the bytes were edited in place
                raise PackageMismatch(f"{name} does not match the signed manifest: its bytes are damaged ({exc})", name) from exc
            if digest.hexdigest() != entry["sha256"] or size != entry["bytes"]:
                raise PackageMismatch(
                    f"{name} does not match the signed manifest: SHA-256 {digest.hexdigest()} ({size} bytes), "
                    f"signed {entry['sha256']} ({entry['bytes']} bytes)",
                    name,
                )
            total += size
        present = set(names)
        for name in listed:
            if name not in present:
                raise PackageMismatch(f"{name} is missing from the package (listed in the signed manifest)", name)
    return Verified(files=len(listed), bytes=total, key_id=key_id(key), manifest=manifest)
