"""Document visibility follows the review: one way in, no second set of grants."""

from __future__ import annotations

from django.db import models

from reviews.querysets import in_visible_reviews


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None, among=None, material: bool = False):
        """Documents of the reviews ``user`` sees (``review``: of that one only;
        ``among``: of those reviews only; ``material``: past the terms gate
        too). Evidence of findings is never among them: it follows its
        finding (findings app)."""
        return in_visible_reviews(self.filter(purpose="review"), user, review=review, among=among, material=material)


class DocumentVersionQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None, among=None, material: bool = False):
        return in_visible_reviews(
            self.filter(document__purpose="review"), user, path="document__review", review=review, among=among, material=material,
        )

    def readable_by(self, user):
        """Versions among these whose bytes ``user`` may read, set-based: the
        scan rules of ``permissions.fetch_refusal`` (never a quarantined one; a
        pending one, or one stored without a scan, only for the uploading
        company unless the unscanned opt-out is on), and for a view-only
        marking — the version's own, as the fetch reads it — only PDFs, which
        open in the browser. Full-text search of a
        version's text (and its snippets) goes through here; scope (the
        review) and the terms/certificate gate are applied by the caller."""
        return self.filter(readable_q(user))


def readable_q(user, path: str = ""):
    """``readable_by``'s rule as a condition on the version at ``path`` (for
    instance "version__" from its text), so a query that starts elsewhere
    joins the version rather than asking a subquery of every readable one."""
    from django.conf import settings
    from django.db.models import Q

    def at(**lookups):
        return Q(**{path + name: value for name, value in lookups.items()})

    readable = at(scan_status="clean")
    if settings.PORTAL_ALLOW_UNSCANNED_DOCUMENTS:
        readable |= at(scan_status="not_scanned")
    if getattr(user, "is_company_liaison", False) and user.company_id:
        own = at(document__purpose="review", document__review__company_id=user.company_id)
        readable |= own & at(scan_status__in=["pending", "not_scanned"])
    # The version's own marking, as fetch_refusal reads it: a document's marking changes its current
    # version and those to come, and an earlier version keeps the one it was handed over under.
    too_large_to_stamp = at(marking__watermark_pdf=True, content_type="application/pdf", size__gt=settings.PORTAL_WATERMARK_MAX_BYTES)
    return readable & (at(marking__downloads_allowed=True) | at(content_type="application/pdf")) & ~too_large_to_stamp
