"""A little searchable material on the demo world, each piece with a word of its own.

* ``zircon``: the text of a clean version of a Helix-1 document (Contoso, CISA only);
* ``quagmire``: the text of a pending (unscanned) version of an Atlas-2 document;
* ``tamarind``: the text of a quarantined version of an Atlas-2 document;
* ``marmalade``: an agency-private question of CISA on Atlas-2 Mini (NSA and CISA);
* ``lanthanum``: a finding of NSA on Atlas-2 Mini, internal to NSA;
* ``obsidian``: the text of a clean version of an Atlas-2 document (Northwind, NSA only);
* ``basalt``: the evidence of another NSA finding on Atlas-2 Mini, internal to NSA;
* ``feldspar``: Northwind's response rationale to an NSA finding on Atlas-2 shared with it;
* ``gneiss``: an NSA comment, internal to NSA, on an NSA finding on Atlas-2 Mini shared with the agencies (CISA sees the finding);
* ``schist``: an NSA comment, not internal, on that finding;
* ``pyrite``: the text of an evidence file (scan passed) of the ``lanthanum`` finding, internal to NSA
  (CISA, on the same review, sees its documents but not that finding);
* ``realgar``: the text of an evidence file of the ``feldspar`` finding whose scan has not passed.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest

from documents.models import Document, DocumentText, DocumentVersion


def text_version(review, *, word: str, scan_status: str) -> DocumentVersion:
    """A new version of the review's first document, with a text holding ``word``."""
    document = Document.objects.filter(review=review, purpose="review").order_by("id").first()
    base = document.versions.order_by("-number").first()
    version = DocumentVersion.objects.create(
        document=document, number=base.number + 1, file=base.file.name, original_name="lab-notes.txt", size=base.size,
        content_type="text/plain", sha256=base.sha256, uploaded_by=base.uploaded_by, scan_status=scan_status,
        marking=base.marking,
    )
    text_set(version, f"Lab notes. The {word} result was reproduced twice in the evaluation.")
    return version


def text_set(version, text: str) -> DocumentText:
    """A version's text as the extraction service stores it (vectors included)."""
    from django.db import connection

    from documents.texts import _index_pages

    row = DocumentText.objects.create(
        version=version, review_id=version.document.review_id, status="extracted", text=text, evidence=version.document.purpose == "evidence",
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE documents_documenttext SET search_vector = to_tsvector('english', text), "
                "search_pairs = search_pairs(to_tsvector('english', text)) WHERE version_id = %s", [version.pk]
            )
        _index_pages(row)
    return row


@pytest.fixture
def material(demo):
    return make_material(demo)


def make_material(demo) -> dict:
    """The pieces above on the demo world (``material``; the embedded
    default's search test makes them the same way, outside pytest)."""
    from findings import services as finding_services
    from findings.models import FindingCategory
    from rfis import services as rfi_services

    category = FindingCategory.objects.first()
    shared = finding_services.finding_create(
        review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], title="Unfiltered tool output", category=category, severity="medium",
        description="Tool output reaches the user unfiltered.",
    )
    finding_services.finding_share(finding_id=shared.pk, actor=demo["lead_nsa"], sharing="company")
    shared = finding_services.finding_respond(
        finding_id=shared.pk, actor=demo["liaison_northwind"], response="acknowledged", rationale="The feldspar filter ships in the next release.",
    )
    relayed = finding_services.finding_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], title="Prompt relay", category=category, severity="low",
        description="Prompts are relayed to a second model.",
    )
    finding_services.finding_share(finding_id=relayed.pk, actor=demo["lead_nsa"], sharing="agencies")
    finding_services.finding_comment(finding_id=relayed.pk, actor=demo["reviewer_nsa"], body="Seen again with the gneiss harness.", internal=True)
    finding_services.finding_comment(finding_id=relayed.pk, actor=demo["lead_nsa"], body="The schist prompts reproduce it.", internal=False)
    bypass = finding_services.finding_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], title="Classifier bypass",
        category=category, severity="low", description="A lanthanum prompt bypasses the classifier.",
    )
    evidence_file(bypass, demo["reviewer_nsa"], word="pyrite", scan_status="clean")
    evidence_file(shared, demo["reviewer_nsa"], word="realgar", scan_status="pending")
    return {
        "zircon": text_version(demo["helix"], word="zircon", scan_status="clean"),
        "quagmire": text_version(demo["atlas"], word="quagmire", scan_status="pending"),
        "tamarind": text_version(demo["atlas"], word="tamarind", scan_status="infected"),
        "obsidian": text_version(demo["atlas"], word="obsidian", scan_status="clean"),
        "marmalade": rfi_services.rfi_create(
            review_id=demo["atlas_mini"].pk, actor=demo["reviewer_cisa"], subject="Update signing",
            question="Is the marmalade update channel signed?", private=True,
        ),
        "lanthanum": bypass,
        "basalt": finding_services.finding_create(
            review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], title="Tool misuse", category=category, severity="low",
            description="The agent calls tools it was not given.", evidence="Transcript 14: the basalt tool was called twice.",
        ),
        "feldspar": shared,
        "gneiss": relayed,
        "schist": relayed,
        "pyrite": bypass,
        "realgar": shared,
    }


def evidence_file(finding, actor, *, word: str, scan_status: str):
    """An evidence file on ``finding`` with a text holding ``word``, its scan
    ``scan_status`` (the scan and the extraction as their tasks leave them)."""
    from documents.tests.factories import marking, upload
    from findings import services as finding_services

    evidence = finding_services.evidence_add(
        finding_id=finding.pk, actor=actor, file=upload(f"{word}-log.txt", b"lab log\n", "text/plain"), original_name=f"{word}-log.txt",
        marking=marking(),
    )
    version = evidence.document.versions.get()
    DocumentVersion.objects.filter(pk=version.pk).update(scan_status=scan_status)
    text_set(version, f"Lab log. The {word} sample was refused twice by the classifier.")
    return evidence


@pytest.fixture(params=["scope", "matches"])
def walk(request, monkeypatch):
    """Each way a search can walk (search/probe.py), whatever the demo's sizes
    would choose: from the user's scope, or from the matches."""
    from search import probe

    if request.param == "scope":
        monkeypatch.setattr(probe, "reach_for_matches", lambda user, cap: None)
    else:
        monkeypatch.setattr(probe, "walks_matches", lambda seen, reviews, cap: True)
    return request.param


@contextmanager
def held_by_another_connection(queryset):
    """The rows of ``queryset`` locked (``SELECT … FOR UPDATE``) by another
    connection in a thread, as another worker's run would hold them, until the
    block ends."""
    from django.db import connections, transaction

    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                list(queryset.select_for_update())
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert locked.wait(timeout=30), "the other connection never locked the rows"
        yield
    finally:
        release.set()
        other.join(timeout=30)
