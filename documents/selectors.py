"""Reads of documents, always through ``visible_to``."""

from __future__ import annotations

from django.http import Http404

from portal.errors import MaterialReturned
from reviews.models import Review
from reviews.querysets import get_in_visible_review_or_404
from reviews.selectors import material_returned_to, standing_get

from .models import EXPECTED_KINDS, Document, DocumentAccess, DocumentChange, DocumentVersion, HandlingMarking


def review_documents_page(*, user, standing) -> list[Document]:
    """The review's documents the user may see, by kind and title, each with
    ``latest``: its newest version (None before the first). ``standing``:
    the reader's Standing on the review (the proof that the grants were
    read, as ``reviews.selectors.review_page_rows``).

    Two kept statements (``portal.statements``, compiled once per reader and
    process, the review's and the documents' ids their parameters): built and
    compiled on each visit they cost 2.5-4 ms of the page at bench scale."""
    from dataclasses import replace

    from portal.scoping import reader_key
    from portal.statements import cached_rows

    proof = standing.user_id == getattr(user, "pk", None) and standing.may_view
    documents = cached_rows(
        ("documents.review_documents_page", proof, reader_key(user)),
        lambda *, review: Document.objects.visible_to(user, review=replace(standing, review_id=review))
        .select_related("marking", "created_by").order_by("kind", "title", "id"),
        review=standing.review_id,
    )
    latest: dict[int, DocumentVersion] = {}
    if documents:
        versions = cached_rows(
            ("documents.review_documents_page.versions",),
            lambda *, ids: DocumentVersion.objects.filter(document_id__any_of=ids).order_by("document_id", "-number"),
            ids=[d.pk for d in documents],
        )
        for version in versions:
            latest.setdefault(version.document_id, version)
    for document in documents:
        document.latest = latest.get(document.pk)
    return documents


def review_document_count(*, user, review: Review) -> int:
    return Document.objects.visible_to(user, review=review).count()


def missing_kinds(*, documents) -> list:
    """The expected documentation kinds no document covers yet."""
    present = {d.kind for d in documents}
    return [k for k in EXPECTED_KINDS if k not in present]


def document_get(*, user, pk: int) -> Document:
    """The document, or 404 when it does not exist or is out of the user's scope."""
    return get_in_visible_review_or_404(
        Document.objects.select_related("review__model", "review__company", "marking", "created_by"), user=user, pk=pk
    )


def gone_or_404(*, user, review_id) -> None:
    """Raises: out of scope is 404 — except for an agency user whose access ended
    with their agency's certificate of return or destruction: they see why
    (``MaterialReturned``)."""
    if material_returned_to(user=user, review_id=review_id):
        raise MaterialReturned(review_id)
    raise Http404


def document_in_scope(*, user, pk: int):
    """The document and the reader's ``Standing`` on its review, past the
    documents' gate (the access terms, the agency's certificate); 404 out of
    scope (``gone_or_404``). Every page about one document starts here."""
    try:
        document = document_get(user=user, pk=pk)
    except Http404:
        gone_or_404(user=user, review_id=Document.objects.filter(pk=pk).values_list("review_id", flat=True).first())
    standing = standing_get(user=user, review=document.review_id)
    standing.require_documents()
    return document, standing


def version_get(*, user, pk: int) -> DocumentVersion:
    return get_in_visible_review_or_404(
        DocumentVersion.objects.select_related("document__review__company", "document__marking", "marking", "uploaded_by"),
        user=user,
        pk=pk,
        path="document__review",
    )


def document_accesses(*, user, document: Document):
    """Access records of the document the user may see.

    Program admins: everything (who, version, when, address). The uploading
    company's liaisons: agency and time only (the view strips the person).
    Agency users: their own records only — never another analyst's.
    """
    qs = DocumentAccess.objects.filter(version__document=document).select_related("version", "agency", "user__membership__agency", "user__membership__company")
    if user.is_program_admin:
        return qs
    if user.is_company_liaison and user.company_id == document.review.company_id:
        return qs.filter(agency__isnull=False).values("agency__acronym", "action", "at", "version__number")
    return qs.filter(user=user)


def document_changes(*, user, document: Document) -> list[DocumentChange]:
    """The document's edits (title, kind, marking), newest first, for anyone who sees
    the document (``document`` came from ``document_get``: already in the user's scope);
    the template names people with ``{% person %}``."""
    return list(
        DocumentChange.objects.filter(document=document)
        .select_related("actor__membership__agency", "actor__membership__company")
        .order_by("-at", "-id")
    )


def markings():
    return HandlingMarking.objects.all()

