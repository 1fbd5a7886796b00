"""Reading an evaluation log's summary: task, model and scores, as data only.

Inspect AI writes a log either as one JSON document (``.json``) or as a zip
(``.eval``) whose ``header.json`` (or ``_journal/start.json``) carries the same
``eval`` and ``results`` objects. Only JSON is parsed (``json.loads``); nothing
in the file is executed, imported or unpickled, and zip members are read by
name with a size cap (never extracted to disk). Anything else, or a log of
another shape, gives ``{"readable": False, ...}``: the file is kept all the same.
"""

from __future__ import annotations

import json
import zipfile

MAX_JSON_BYTES = 20 * 1024 * 1024  # the part of a log read to find its summary
ZIP_HEADERS = ("header.json", "_journal/start.json")


def _not_readable(reason: str) -> dict:
    return {"readable": False, "reason": reason}


def _scores(results) -> list[dict]:
    """[{"name": scorer, "metrics": [[metric, value], ...]}, ...] from Inspect's ``results.scores``."""
    scores = []
    if not isinstance(results, dict):
        return scores
    for score in results.get("scores") or []:
        if not isinstance(score, dict):
            continue
        metrics = []
        raw = score.get("metrics") or {}
        if isinstance(raw, dict):
            for key, metric in raw.items():
                value = metric.get("value") if isinstance(metric, dict) else metric
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    metrics.append([str(metric.get("name", key) if isinstance(metric, dict) else key)[:80], value])
        scores.append({"name": str(score.get("name") or score.get("scorer") or "")[:80], "metrics": metrics})
    return scores


def _summary(data) -> dict:
    if not isinstance(data, dict) or not isinstance(data.get("eval"), dict):
        return _not_readable("not an Inspect evaluation log (no \"eval\" section)")
    evaluation = data["eval"]
    task, model = evaluation.get("task"), evaluation.get("model")
    if not isinstance(task, str) or not isinstance(model, str):
        return _not_readable("the log names no task or model")
    return {
        "readable": True,
        "format": "inspect",
        "task": task[:200],
        "model": model[:200],
        "status": str(data.get("status") or "")[:40],
        "scores": _scores(data.get("results")),
    }


def _loads(raw: bytes) -> dict:
    try:
        return _summary(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _not_readable("the file is not valid JSON")


def summarise(file, *, content_type: str, name: str = "") -> dict | None:
    """The summary of an uploaded evaluation log (``file`` readable and seekable), or
    None when the file is not a log at all (neither JSON nor zip, nor named ``.json`` / ``.eval``)."""
    lowered = name.lower()
    file.seek(0)
    try:
        if content_type == "application/json" or lowered.endswith(".json"):
            raw = file.read(MAX_JSON_BYTES + 1)
            if len(raw) > MAX_JSON_BYTES:
                return _not_readable("the log is too large to read its summary")
            return _loads(raw)
        if content_type == "application/zip" or lowered.endswith(".eval"):
            try:
                with zipfile.ZipFile(file) as archive:
                    names = set(archive.namelist())
                    for name in ZIP_HEADERS:
                        if name in names:
                            info = archive.getinfo(name)
                            if info.file_size > MAX_JSON_BYTES:
                                return _not_readable("the log's header is too large to read")
                            with archive.open(info) as member:
                                return _loads(member.read(MAX_JSON_BYTES + 1))
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
                return _not_readable("the archive cannot be read")
            return _not_readable("the archive holds no Inspect log header")
        return None
    finally:
        file.seek(0)
