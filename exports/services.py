"""Exports handed out and closing packages requested: each one an audit event.

The export log is the audit trail: ``export.json``, ``export.oscal`` and
``export.package`` events on the review (who, which audience, which format),
which the company reads on the review's history page as the organisation
that exported ("NSA"), never the person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from portal.errors import Refused


class PackageTooLarge(Refused):
    """A package over ``PORTAL_PACKAGE_MAX_BYTES``: refused with its size."""


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def export_record(*, review, user, fmt: str, audience: dict, interim: bool, extra: dict | None = None) -> None:
    """One export handed out is one audit event (same transaction as nothing else: exports change nothing)."""
    from audit.services import audit_record

    action = "export.package" if fmt == "package" else ("export.oscal" if fmt in ("assessment-results", "poam") else "export.json")
    with transaction.atomic():
        audit_record(
            action=action,
            actor=user,
            target=review,
            payload={"format": fmt, "audience": audience["organisation"], "audience_kind": audience["kind"], "interim": interim, **(extra or {})},
        )


def review_export_recorded(*, review, user) -> dict:
    """The JSON export of ``review`` for ``user`` (already known to see it, material open), recorded
    as an ``export.json`` audit event. Side effect: the event."""
    from .data import review_export

    doc = review_export(review=review, user=user)
    export_record(review=review, user=user, fmt="json", audience=doc["audience"], interim=doc["interim"])
    return doc


@transaction.atomic
def package_request(*, review, user, include_files: bool = True):
    """Queues the build of a signed closing package of ``review`` for ``user``'s audience.

    Side effects: an ``ExportPackage`` row (queued), an ``export.package``
    audit event, and after commit the Celery task ``exports.tasks.build_package``.
    Refuses (``PackageTooLarge``, naming the size and the limit) a package
    whose document versions alone would pass ``PORTAL_PACKAGE_MAX_BYTES``.
    ``review`` is already known to be visible to ``user`` with its material open.
    """
    from .data import audience_of
    from .models import ExportPackage
    from .packages import package_plan
    from .tasks import build_package

    plan = package_plan(review=review, user=user, include_files=include_files)
    limit = settings.PORTAL_PACKAGE_MAX_BYTES
    if plan.estimated_bytes > limit:
        raise PackageTooLarge(
            f"The package would be {human_size(plan.estimated_bytes)} ({plan.estimated_bytes:,} bytes), over the limit of "
            f"{human_size(limit)}; ask for the hashes only instead of the files."
        )
    audience = audience_of(user)
    package = ExportPackage(
        review=review,
        requested_by=user,
        audience=audience["organisation"],
        audience_kind=audience["kind"],
        include_files=include_files,
        total_bytes=plan.estimated_bytes,
    )
    package.full_clean()
    package.save()
    export_record(
        review=review, user=user, fmt="package", audience=audience, interim=review.status != "closed",
        extra={"package": package.pk, "include_files": include_files, "files": len(plan.versions)},
    )
    transaction.on_commit(lambda: build_package.delay(package.pk), robust=True)
    return package
