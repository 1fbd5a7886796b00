"""The shipped AI-risk catalogues findings are classified against, and their loader.

``owasp-llm-2025.json`` and ``nist-ai-600-1.json`` are written here;
``atlas/ATLAS.yaml`` is MITRE ATLAS's own data file (release 5.6.0, Apache-2.0,
see ``atlas/README.md``). ``load_shipped()`` loads all three (post_migrate,
``seed_demo`` and ``manage.py load_taxonomy``); ``load_atlas(path)`` loads a
newer ATLAS file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHIPPED_JSON = (HERE / "owasp-llm-2025.json", HERE / "nist-ai-600-1.json")
SHIPPED_ATLAS = HERE / "atlas" / "ATLAS.yaml"


class CatalogueFileError(ValueError):
    """A catalogue file the loader cannot use; the message names the file and why."""


@dataclass(frozen=True)
class CatalogueData:
    catalogue: str
    version: str
    entries: list[tuple[str, str]]  # (id, name), in the file's order


def read_json(path: Path) -> CatalogueData:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        entries = [(str(e["id"]).strip(), str(e["name"]).strip()) for e in data["entries"]]
        return CatalogueData(catalogue=data["catalogue"], version=str(data["version"]), entries=entries)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CatalogueFileError(f"{path}: not a catalogue file ({exc}).") from exc


def read_atlas(path: Path) -> CatalogueData:
    """Technique ids and names (sub-techniques too) from an ATLAS.yaml; the
    release from its top-level ``version``. Nothing in the file is executed
    (``yaml.safe_load``)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=loader)  # noqa: S506 (a safe loader)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueFileError(f"{path}: cannot be read as YAML ({exc}).") from exc
    if not isinstance(data, dict) or not data.get("version") or not isinstance(data.get("matrices"), list):
        raise CatalogueFileError(f"{path}: not an ATLAS data file (no version or matrices).")
    seen: dict[str, str] = {}
    for matrix in data["matrices"]:
        for technique in (matrix or {}).get("techniques") or []:
            code, name = str(technique.get("id", "")).strip(), str(technique.get("name", "")).strip()
            if code.startswith("AML.T") and name and code not in seen:
                seen[code] = name
    if not seen:
        raise CatalogueFileError(f"{path}: no ATLAS techniques (AML.T…) found.")
    return CatalogueData(catalogue="mitre_atlas", version=str(data["version"]), entries=list(seen.items()))


def load(data: CatalogueData) -> dict[str, int]:
    """Writes one catalogue release: new ids added, names updated, ids the
    release no longer has retired (never deleted: findings keep them).
    Returns counts of added, updated, retired."""
    from django.db import transaction

    from ..models import TaxonomyEntry

    counts = {"added": 0, "updated": 0, "retired": 0}
    with transaction.atomic():
        existing = {e.code: e for e in TaxonomyEntry.objects.select_for_update().filter(catalogue=data.catalogue)}
        for position, (code, name) in enumerate(data.entries):
            entry = existing.pop(code, None)
            if entry is None:
                other = TaxonomyEntry.objects.filter(code=code).exclude(catalogue=data.catalogue).first()
                if other is not None:
                    raise CatalogueFileError(f"{code} is already an id of {other.get_catalogue_display()}.")
                TaxonomyEntry.objects.create(
                    catalogue=data.catalogue, code=code, name=name, version=data.version, position=position
                )
                counts["added"] += 1
            elif (entry.name, entry.version, entry.position, entry.active) != (name, data.version, position, True):
                entry.name, entry.version, entry.position, entry.active = name, data.version, position, True
                entry.full_clean()
                entry.save()
                counts["updated"] += 1
        for entry in existing.values():
            if entry.active:
                entry.active = False
                entry.save(update_fields=["active"])
                counts["retired"] += 1
    return counts


def load_shipped() -> None:
    """The three shipped catalogues (idempotent)."""
    for path in SHIPPED_JSON:
        load(read_json(path))
    load(read_atlas(SHIPPED_ATLAS))
