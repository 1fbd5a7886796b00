"""What a saved search's alert tells besides rows created in its window
(``search.services.saved_search_check``): new matching activity on rows made
earlier, which the window's search cannot see because it dates a question
or a document by its own creation.

* a **reply** in a question's thread: an answer, a reopening, a closing note
  (the question's own first message is the question, told as a new question);
* a **later version** of a document (its second or later), whose extracted
  text matches and which the user may read;
* a company's **response** to a finding, whose rationale matches (a finding
  is searched by its rationale too: search migration 0007);
* a **comment** on a finding, which the user may read (an internal comment
  only within its agency: ``material._readable_comments``);
* an **evidence file** added to a finding, whose extracted text matches and
  which the user may download (``material._evidence_texts``).

Scoped as the search page is: the questions through
``InformationRequest.visible_to(user, material=True)`` (another agency's
private question is never read), the findings through
``Finding.visible_to(user, material=True)`` (another agency's internal
finding never), the versions through the documents selector's own reading
rules (scan passed, marking and certificate gates).
The type, review, company, agency and marking filters narrow as on the
page; the dates apply to the reply's, the version's, the response's, the
comment's or the evidence file's own moment.
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib.postgres.search import SearchVector
from django.db.models import BooleanField, F, Func

from findings.models import Finding, FindingEvent, FindingEvidence
from rfis.models import InformationRequest, RfiMessage

from ..query import CONFIG, parse
from .common import CAP, Filters, _dated, _matching, _postgres, _words, with_pairs
from .documents import _readable_text_versions, _scoped_documents
from .material import _evidence_texts, _readable_comments, _scoped_material

# Each activity's noun, one and many, as an alert names it.
ACTIVITY = {
    "reply": ("reply in a question's thread", "replies in questions' threads"),
    "version": ("new document version", "new document versions"),
    "response": ("company response to a finding", "company responses to findings"),
    "comment": ("comment on a finding", "comments on findings"),
    "evidence": ("evidence file on a finding", "evidence files on findings"),
}


def activity_found(*, user, text: str, filters: Filters, most: int = CAP) -> dict[str, tuple[list[str], bool]]:
    """Per activity, the "reply:<message id>", "version:<version id>", "response:<event id>" or
    "comment:<comment id>" or "evidence:<version id>" keys
    of the newest ``most`` matches ``user`` may see within ``filters`` (its
    dates on the activity's own moment), and whether there were more;
    activities with none are left out. One statement per activity the
    filters' type admits (a marking admits only versions)."""
    parsed = parse(text)
    if parsed.empty:
        return {}
    parsed = with_pairs(parsed)
    undated = replace(filters, date_from=None, date_to=None)
    reads = {}
    if filters.wants("rfi"):
        questions = _scoped_material(InformationRequest, user, undated).values("pk")
        replies = _dated(RfiMessage.objects.filter(rfi__in=questions).exclude(kind=RfiMessage.Kind.QUESTION), filters)
        reads["reply"] = _matching(replies, parsed) if _postgres() else replies.filter(_words(["body"], parsed.words))
    if filters.wants("document"):
        versions = _scoped_documents(_readable_text_versions(user, parsed), user, undated, path="document__")
        reads["version"] = _dated(versions.filter(number__gt=1), filters, path="uploaded_at")
    if filters.wants("finding"):
        findings = _scoped_material(Finding, user, undated).values("pk")
        responses = _dated(FindingEvent.objects.filter(name="respond", finding__in=findings), filters, path="at")
        if _postgres():
            # The event's own rationale, checked row by row: the window holds few responses.
            matches = Func(SearchVector("comment", config=CONFIG), parsed.tsquery(), function="ts_match_vq", output_field=BooleanField())
            reads["response"] = responses.alias(_m=matches).filter(_m=True)
        else:
            reads["response"] = responses.filter(_words(["comment"], parsed.words))
        comments = _dated(_readable_comments(user).filter(finding__in=findings), filters)
        reads["comment"] = _matching(comments, parsed) if _postgres() else comments.filter(_words(["body"], parsed.words))
        files = FindingEvidence.objects.filter(finding__in=findings).values("document_id")
        texts = _dated(_evidence_texts(user).filter(version__document_id__in=files), filters, path="version__uploaded_at")
        reads["evidence"] = (_matching(texts, parsed, F("search_vector"), "search_pairs") if _postgres()
                             else texts.filter(_words(["text"], parsed.words)))
    found = {}
    for name, qs in reads.items():
        ids = list(qs.order_by("-pk").values_list("pk", flat=True)[: most + 1])
        if ids:
            found[name] = ([f"{name}:{pk}" for pk in ids[:most]], len(ids) > most)
    return found
