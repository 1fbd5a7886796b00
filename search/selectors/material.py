"""Questions (with their threads) and findings (with the comments the reader
may read) matching a search, each through the model's ``visible_to(user,
material=True)``: in scope and past the terms gate."""

from __future__ import annotations

import html

from django.contrib.postgres.search import SearchRank, SearchVectorExact
from django.db import connection
from django.db.models import BigIntegerField, Exists, F, FloatField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat, Left
from django.utils.safestring import SafeString, mark_safe

from documents.models import DocumentText, DocumentVersion
from documents.querysets import readable_q
from findings.models import Finding, FindingComment, FindingEvidence
from portal.links import pk_url
from rfis.models import InformationRequest, RfiMessage

from .. import probe
from ..query import Parsed
from ..vectors import Vector
from .common import (
    CAP,
    Filters,
    Hit,
    _branch,
    _dated,
    _exact,
    _excerpt,
    _excerpt_page,
    _found_ids,
    _headline,
    _in_review,
    _mark,
    _matching,
    _paged,
    _paged_headline,
    _postgres,
    _words,
    exact_branch,
    exact_read,
    first_rows,
    kept,
)


_RFI_EXACT, _FINDING_EXACT = ("subject",), ("title",)
# What a finding is searched by (its vector on PostgreSQL: search migration 0007), all
# shown to whoever sees the finding: the agency's title, description and evidence, the
# company's response rationale.
_FINDING_TEXT = ("title", "description", "evidence", "response_rationale")


def rfi_first_reads(parsed: Parsed) -> list[tuple[tuple, object]]:
    """The questions' unscoped index read (``common.read_first``): the exact subject."""
    return [exact_read("rfis.exact", InformationRequest, _RFI_EXACT)]


def finding_first_reads(parsed: Parsed) -> list[tuple[tuple, object]]:
    """The findings' unscoped index read (``common.read_first``): the exact title."""
    return [exact_read("findings.exact", Finding, _FINDING_EXACT)]


def _scoped_material(model, user, filters: Filters, among=None):
    """Questions or findings ``user`` sees (``among``: on those reviews only),
    past the terms gate, within the filters; unordered."""
    qs = model.objects.visible_to(user, among=among, material=True)
    qs = _dated(_in_review(qs, filters), filters)
    if filters.agency_id:
        # As bigint, the column's type: btree_gin's index on (agency, vector)
        # (search migration 0004) answers only a comparison of the same type.
        # An id past bigint's range is no agency's (and would fail the cast),
        # as Django's own lookup answers it: nothing.
        if filters.agency_id > connection.ops.integer_field_range("BigIntegerField")[1]:
            return qs.none()
        qs = qs.filter(agency_id=Cast(Value(filters.agency_id), BigIntegerField()))
    return qs.order_by()


def _rfis(user, parsed: Parsed, filters: Filters, limit: int, reach: probe.Reach | None = None, offset: int = 0):
    scoped = lambda: _scoped_material(InformationRequest, user, filters)  # noqa: E731 — built only if asked
    if _postgres():
        own = lambda p: _matching(InformationRequest.objects.order_by(), p)  # noqa: E731
        thread = lambda p: _matching(RfiMessage.objects.order_by(), p)  # noqa: E731
        confirm = lambda p, ids, among: (  # noqa: E731
            _scoped_material(InformationRequest, user, filters, among).filter(pk__any_of=ids).values_list("pk", flat=True)
        )
        ids, count = _found_ids([
            exact_branch("rfis.exact", InformationRequest, scoped, _RFI_EXACT, user=user, parsed=parsed, filters=filters),
            _branch("rfis.own", lambda p: _matching(scoped(), p).values_list("pk", flat=True), reach,
                    lambda p: own(p).values_list("pk", "review_id"), confirm, user=user, parsed=parsed, filters=filters),
            _branch("rfis.thread", lambda p: scoped().filter(pk__in=thread(p).values("rfi_id")).values_list("pk", flat=True), reach,
                    lambda p: thread(p).values_list("rfi_id", "rfi__review_id"), confirm, user=user, parsed=parsed, filters=filters,
                    review_path="rfi__review_id"),
        ])
    else:
        ids, count = _found_ids([
            exact_branch("rfis.exact", InformationRequest, scoped, _RFI_EXACT, user=user, parsed=parsed, filters=filters),
            scoped().filter(_words(["subject", "question", "messages__body"], parsed.words)).values_list("pk", flat=True),
        ])
    if not ids:
        return 0, []

    def rows(p, *, ids):
        rank = SearchRank(Vector(), p.tsquery()) if _postgres() else Value(0.0, output_field=FloatField())
        order = ("-exact", "-rank", "-created_at", "-id")
        qs = first_rows(InformationRequest, ids, limit, order, offset, exact=_exact(F("subject"), p), rank=rank)
        if _postgres():
            qs = qs.annotate(
                own_hit=SearchVectorExact(Vector(), p.tsquery()),
                snippet=_headline(Concat("subject", Value(". "), Left("question", 20000)), p),
            )
        else:
            qs = qs.annotate(own_hit=Value(True))
        return qs.select_related("review__model", "review__company").order_by(*order)

    rows = kept("rows", ("rfis.rows", limit, offset), rows, by_ids=True, user=user, parsed=parsed, filters=filters, ids=sorted(ids))
    answers = _thread_snippets(user, parsed, filters, [r.pk for r in rows if not r.own_hit])
    hits = []
    for rfi in rows:
        url = pk_url("rfi_detail", rfi.pk)
        if rfi.pk in answers:
            snippet, message_id, _ = answers[rfi.pk]
            url = f"{url}#message-{message_id}"  # the message that matched, in the thread
        elif _postgres():
            snippet = _mark(rfi.snippet)
        else:
            snippet = _excerpt(f"{rfi.subject}. {rfi.question}", parsed.words)
        hits.append(
            Hit("rfi", f"RFI #{rfi.pk}: {rfi.subject}", url, rfi.review, snippet,
                rfi.created_at, detail=f"{rfi.get_status_display()}{' · agency-private' if rfi.private else ''}", pk=rfi.pk)
        )
    return count, hits


def _thread_snippets(user, parsed: Parsed, filters: Filters, rfi_ids: list[int]) -> dict[int, tuple[SafeString, int, int | None]]:
    """Questions found by their thread: the newest matching message, highlighted,
    and its id (every message of a question is shown to whoever sees the question)."""
    if not rfi_ids:
        return {}

    def build(p, *, ids):
        messages = RfiMessage.objects.filter(rfi_id__any_of_unplanned=ids)
        if _postgres():
            messages = messages.alias(v=Vector()).filter(v=p.tsquery()).annotate(snippet=_headline(Left("body", 20000), p))
        else:
            messages = messages.filter(_words(["body"], parsed.words)).annotate(snippet=F("body"))
        return messages.order_by("rfi_id", "-created_at", "-id").values_list("rfi_id", "kind", "snippet", "pk")

    rows = kept("values", ("rfis.thread_snippets",), build, by_ids=True, user=user, parsed=parsed, filters=filters, ids=sorted(rfi_ids))
    return _newest_each(rows, parsed, lambda kind: RfiMessage.Kind(kind).label)


def _newest_each(rows, parsed: Parsed, label, *, paged: bool = False) -> dict[int, tuple[SafeString, int, int | None]]:
    """Per parent (a question, a finding), the first of ``rows`` — (parent id,
    what names the row, its text, its own id), newest first within each
    parent — as "``label(what names it)``: its text, highlighted", its id and
    the page it is on. ``paged``: the text is a file's (``_paged_headline`` on
    PostgreSQL); the label names the PDF page when known ("…, page 4"),
    otherwise the page is None."""
    found: dict[int, tuple[SafeString, int, int | None]] = {}
    for parent_id, name, snippet, pk in rows:
        if parent_id not in found:
            page = None
            if paged and _postgres():
                body, page = _paged(snippet)
            elif _postgres():
                body = _mark(snippet)
            else:
                body = _excerpt(snippet, parsed.words)
                page = _excerpt_page(snippet, parsed.words) if paged else None
            named = label(name) + (f", page {page}" if page else "")
            found[parent_id] = (mark_safe(f"{html.escape(named)}: {body}"), pk, page)  # noqa: S308 — both parts escaped
    return found


# -- findings -------------------------------------------------------------------------------------


def _findings(user, parsed: Parsed, filters: Filters, limit: int, reach: probe.Reach | None = None, offset: int = 0):
    scoped = lambda: _scoped_material(Finding, user, filters)  # noqa: E731 — built only if asked
    if _postgres():
        comments = lambda p: _matching(_readable_comments(user), p)  # noqa: E731
        evidence = lambda p: _matching(_evidence_texts(user), p, F("search_vector"), "search_pairs")  # noqa: E731
        confirm = lambda p, ids, among: (  # noqa: E731
            _scoped_material(Finding, user, filters, among).filter(pk__any_of=ids).values_list("pk", flat=True)
        )
        ids, count = _found_ids([
            exact_branch("findings.exact", Finding, scoped, _FINDING_EXACT, user=user, parsed=parsed, filters=filters),
            _branch(
                "findings", lambda p: _matching(scoped(), p).values_list("pk", flat=True), reach,
                lambda p: _matching(Finding.objects.order_by(), p).values_list("pk", "review_id"),
                confirm, user=user, parsed=parsed, filters=filters,
            ),
        ])
        if count <= CAP:
            # Its comments and its evidence files' text, each only where the reader may read it (an
            # internal comment within its agency; an evidence file by its scan and marking). Not read
            # once the finding's own words found more than CAP: the count shows "100+" either way,
            # and which CAP + 1 matches are ranked is already any of them (each branch stops at
            # CAP + 1 in no order). They cost the most of the kind: a common word's comments are read
            # from the heap, ~2,000 rows across as many pages, each with its finding (two common
            # words at 20,000 reviews: 14 ms in the database, against 5 ms for the findings).
            more, _ = _found_ids([
                _branch(
                    "findings.comments", lambda p: scoped().filter(pk__in=comments(p).values("finding_id")).values_list("pk", flat=True),
                    reach, lambda p: comments(p).values_list("finding_id", "finding__review_id"), confirm,
                    user=user, parsed=parsed, filters=filters, review_path="finding__review_id",
                ),
                # Off the evidence texts' own indexes (documents migration 0013); the candidates are
                # only texts the reader may read: an evidence file's reading rules hold alike for
                # everyone who sees its finding, which is confirmed as for the others.
                _branch(
                    "findings.evidence",
                    lambda p: scoped().filter(attachments__document_id__in=evidence(p).values("version__document_id")).values_list("pk", flat=True),
                    reach, lambda p: evidence(p).annotate(finding=_evidence_of("version__document_id", "finding_id")).values_list("finding", "review_id"),
                    confirm, user=user, parsed=parsed, filters=filters, review_path="review_id",
                ),
            ])
            ids |= more
            count = CAP + 1 if len(ids) > CAP else len(ids)
    else:
        ids, count = _found_ids([
            exact_branch("findings.exact", Finding, scoped, _FINDING_EXACT, user=user, parsed=parsed, filters=filters),
            scoped().filter(_words(list(_FINDING_TEXT), parsed.words)).values_list("pk", flat=True),
            scoped().filter(pk__in=_readable_comments(user).filter(_words(["body"], parsed.words)).values("finding_id")).values_list("pk", flat=True),
            scoped().filter(attachments__document_id__in=_evidence_texts(user).filter(_words(["text"], parsed.words))
                            .values("version__document_id")).values_list("pk", flat=True),
        ])
    if not ids:
        return 0, []

    def rows(p, *, ids):
        rank = SearchRank(Vector(), p.tsquery()) if _postgres() else Value(0.0, output_field=FloatField())
        order = ("-exact", "-rank", "-created_at", "-id")
        qs = first_rows(Finding, ids, limit, order, offset, exact=_exact(F("title"), p), rank=rank)
        if _postgres():
            qs = qs.annotate(own_hit=SearchVectorExact(Vector(), p.tsquery()), snippet=_headline(Concat(
                "title", Value(". "), Left("description", 20000), Value(" "), Left("evidence", 10000), Value(" "), Left("response_rationale", 10000),
            ), p))
        return qs.select_related("review__model", "review__company").order_by(*order)

    rows = kept("rows", ("findings.rows", limit, offset), rows, by_ids=True, user=user, parsed=parsed, filters=filters, ids=sorted(ids))
    if not _postgres():
        for finding in rows:  # the word match: every word in one of its own fields, or it was found by a comment
            own = " ".join(getattr(finding, name) for name in _FINDING_TEXT).lower()
            finding.own_hit = all(word.lower() in own for word in parsed.words)
    comments = _comment_snippets(user, parsed, filters, [f.pk for f in rows if not f.own_hit])
    files = _evidence_snippets(user, parsed, filters, [f.pk for f in rows if not f.own_hit and f.pk not in comments])
    hits = []
    for finding in rows:
        url = pk_url("finding_detail", finding.pk)
        text_page, page_url = None, ""
        if finding.pk in comments:
            snippet, comment_id, _ = comments[finding.pk]
            url = f"{url}#comment-{comment_id}"  # the comment that matched, on the finding's page
        elif finding.pk in files:
            snippet, attachment_id, text_page = files[finding.pk]
            url = f"{url}#evidence-{attachment_id}"  # the evidence file that matched
            if text_page:
                # A PDF's page: the file's own inline view asks every rule again, then opens it there.
                page_url = f"{pk_url('finding_evidence_view', attachment_id)}?page={text_page}"
        elif _postgres():
            snippet = _mark(finding.snippet)
        else:
            snippet = _excerpt(f"{finding.title}. {finding.description} {finding.evidence} {finding.response_rationale}", parsed.words)
        hits.append(
            Hit("finding", finding.title, url, finding.review, snippet,
                finding.created_at, detail=f"{finding.get_severity_display()} · {finding.get_status_display()}", pk=finding.pk,
                text_page=text_page, page_url=page_url)
        )
    return count, hits


def _readable_comments(user):
    """Comments ``user`` may read on a finding they see (the finding's own
    scope is confirmed apart, as the branch's ``confirm``): the finding page's
    own rule (``FindingComment.objects.on_side_of``)."""
    return FindingComment.objects.on_side_of(user).order_by()


def _comment_snippets(user, parsed: Parsed, filters: Filters, finding_ids: list[int]) -> dict[int, tuple[SafeString, int, int | None]]:
    """Findings found by a comment: the newest matching comment the reader may
    read, highlighted, and its id (``finding_ids`` are findings the reader sees)."""
    if not finding_ids:
        return {}

    def build(p, *, ids):
        comments = _readable_comments(user).filter(finding_id__any_of_unplanned=ids)
        if _postgres():
            comments = comments.alias(v=Vector()).filter(v=p.tsquery()).annotate(snippet=_headline(Left("body", 20000), p))
        else:
            comments = comments.filter(_words(["body"], parsed.words)).annotate(snippet=F("body"))
        return comments.order_by("finding_id", "-created_at", "-id").values_list("finding_id", "side", "snippet", "pk")

    rows = kept("values", ("findings.comment_snippets",), build, by_ids=True, user=user, parsed=parsed, filters=filters, ids=sorted(finding_ids))
    return _newest_each(rows, parsed, lambda side: "Company comment" if side == "company" else "Comment")


def _evidence_texts(user):
    """The extracted texts of evidence files a reader of their finding may
    search (``DocumentText.evidence``, answered by its own partial indexes):
    each file's latest version, the one the finding's page serves, where the
    reader may read it (``DocumentVersion.objects.readable_by``: the scan and
    marking rules of fetching it), asked of each text's own version. Who sees
    the finding is confirmed apart: an evidence file is visible exactly to
    those who see its finding."""
    later = DocumentVersion.objects.filter(document_id=OuterRef("version__document_id"), number__gt=OuterRef("version__number"))
    return DocumentText.objects.filter(
        readable_q(user, "version__"), ~Exists(later), evidence=True, status="extracted", version__document__purpose="evidence",
    ).order_by()


def _evidence_of(document_path: str, field: str):
    """The evidence row's ``field`` (its finding, its own id) for the document at ``document_path``."""
    return Subquery(FindingEvidence.objects.filter(document_id=OuterRef(document_path)).values(field)[:1])


def _evidence_snippets(user, parsed: Parsed, filters: Filters, finding_ids: list[int]) -> dict[int, tuple[SafeString, int, int | None]]:
    """Findings found by the text of an evidence file: the newest matching file
    the reader may read (its name, the PDF page when known, and a highlighted
    piece of its text), its evidence row's id and that page (``finding_ids``
    are findings the reader sees)."""
    if not finding_ids:
        return {}

    def build(p, *, ids):
        texts = _evidence_texts(user).filter(
            version__document_id__in=FindingEvidence.objects.filter(finding_id__any_of_unplanned=ids).values("document_id"),
        )
        if _postgres():
            texts = _matching(texts, p, F("search_vector"), "search_pairs").annotate(snippet=_paged_headline(F("text"), p))
        else:
            texts = texts.filter(_words(["text"], parsed.words)).annotate(snippet=F("text"))
        return texts.annotate(
            finding=_evidence_of("version__document_id", "finding_id"), attachment=_evidence_of("version__document_id", "pk"),
        ).order_by("finding", "-version__uploaded_at", "-version_id").values_list("finding", "version__original_name", "snippet", "attachment")

    rows = kept("values", ("findings.evidence_snippets",), build, by_ids=True, user=user, parsed=parsed, filters=filters, ids=sorted(finding_ids))
    return _newest_each(rows, parsed, lambda name: f"Evidence file {name}", paged=True)
