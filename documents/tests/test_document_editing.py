"""Editing a document's title, kind and marking (with its history), each version's own
marking, per-file kind and marking in a multi-file upload, and confirming a new file name."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from documents import services
from documents.models import Document, DocumentChange, DocumentVersion
from portal.errors import NotAllowed
from reviews.models import Review

from .factories import make_document, marking, pdf_bytes, upload

pytestmark = pytest.mark.django_db

CUI = "Controlled Unclassified Information"
PROPRIETARY = "Proprietary — pre-release"


def _card(demo):
    return Document.objects.get(review=demo["atlas"], kind="model_card")  # the demo's CUI model card, v1


def _new_version(demo, document, name, **kw):
    return services.version_create(
        document=document, actor=demo["liaison_northwind"], file=upload(name, pdf_bytes(name)), original_name=name, **kw
    )


def test_document_edit_changes_title_and_marking_with_history_and_earlier_versions_keep_theirs(demo, login):
    v1 = make_document(demo["atlas"], name="card.pdf", marking_name=CUI, title="Atlas-2 model card", kind="system_card")
    document = v1.document
    v2 = _new_version(demo, document, "card.pdf")  # same name: no confirmation needed
    client = login(demo["liaison_northwind"])
    assert client.get(reverse("document_edit", kwargs={"pk": document.pk})).status_code == 200
    response = client.post(
        reverse("document_edit", kwargs={"pk": document.pk}),
        {"title": "Atlas-2 model card (revised)", "kind": "system_card", "marking": marking(PROPRIETARY).pk},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.title, document.kind, document.marking.name) == ("Atlas-2 model card (revised)", "system_card", PROPRIETARY)
    assert dict(DocumentVersion.objects.filter(document=document).values_list("number", "marking__name")) == {1: CUI, 2: PROPRIETARY}
    change = DocumentChange.objects.get(document=document)
    assert (change.actor, change.version_number) == (demo["liaison_northwind"], v2.number)
    assert change.changes == {"title": ["Atlas-2 model card", "Atlas-2 model card (revised)"], "marking": [CUI, PROPRIETARY]}
    event = AuditEvent.objects.filter(action="document.edit", target_id=str(document.pk)).get()
    assert event.payload == {"changes": change.changes, "version": 2}
    # v1 still follows CUI's rules (watermarked), v2 the proprietary marking's.
    reader = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    assert reader.get(reverse("version_download", kwargs={"pk": v1.pk}))["X-Watermarked"] == "1"
    assert "X-Watermarked" not in reader.get(reverse("version_download", kwargs={"pk": v2.pk}))
    # The history on the page: who (the company, not the liaison's name, for an agency), when, from → to.
    page = reader.get(reverse("document_detail", kwargs={"pk": document.pk})).content.decode()
    assert "Change history" in page and "Northwind AI" in page and "Nora Liaison" not in page
    assert "<del>Atlas-2 model card</del> &rarr; <ins>Atlas-2 model card (revised)</ins>" in page
    assert f"<del>{CUI}</del> &rarr; <ins>{PROPRIETARY}</ins>" in page
    own = login(demo["liaison_northwind"]).get(reverse("document_detail", kwargs={"pk": document.pk})).content.decode()
    assert "Nora Liaison" in own


def test_document_edit_without_a_title_names_the_field_and_changes_nothing(demo, login):
    document = _card(demo)
    client = login(demo["liaison_northwind"])
    response = client.post(reverse("document_edit", kwargs={"pk": document.pk}), {"title": "", "kind": "other", "marking": document.marking_id})
    assert response.status_code == 400 and "title" in response.context["form"].errors
    assert Document.objects.filter(pk=document.pk).values_list("title", "kind").get() == ("Atlas-2 model card", "model_card")
    assert not DocumentChange.objects.exists()


def test_document_edit_is_refused_to_agencies_and_after_the_review_closes(demo, login):
    document = _card(demo)
    for role in ("lead_nsa", "reviewer_nsa", "admin"):
        client = login(demo[role], accept_terms_for=[demo["atlas"]] if role != "admin" else [])
        assert client.get(reverse("document_edit", kwargs={"pk": document.pk})).status_code == 404, role
    with pytest.raises(NotAllowed):
        services.document_update(document_id=document.pk, actor=demo["lead_nsa"], title="X", kind="other", marking=document.marking)
    Review.objects.filter(pk=demo["atlas"].pk).update(status="closed")
    assert login(demo["liaison_northwind"]).get(reverse("document_edit", kwargs={"pk": document.pk})).status_code == 404
    with pytest.raises(NotAllowed):
        services.document_update(document_id=document.pk, actor=demo["liaison_northwind"], title="X", kind="other", marking=document.marking)
    assert Document.objects.get(pk=document.pk).title == "Atlas-2 model card"
    assert not DocumentChange.objects.exists()


def test_new_version_with_another_name_asks_for_confirmation(demo, login):
    document = _card(demo)
    client = login(demo["liaison_northwind"])
    url = reverse("document_version_upload", kwargs={"pk": document.pk})
    response = client.post(url, {"files": [upload("other-card.pdf", pdf_bytes("other"))], "marking": document.marking_id})
    assert response.status_code == 400
    assert response.context["version_form"].errors["file"] == [
        "other-card.pdf is not named like the current version (atlas-2-model-card.pdf). Confirm that it is a new version "
        "of this document to upload it."
    ]
    page = response.content.decode()
    assert 'id="id_file_error"' in page and 'aria-invalid="true"' in page and 'href="#id_file"' in page
    assert list(document.versions.values_list("number", flat=True)) == [1]
    # The upload script gets the same refusal for the file.
    scripted = client.post(url, {"files": [upload("other-card.pdf", pdf_bytes("other"))]}, HTTP_ACCEPT="application/json")
    assert scripted.status_code == 400 and "Confirm that it is a new version" in scripted.json()["results"][0]["message"]
    # Ticked: stored as v2, under the marking chosen for it; v1 keeps its own.
    response = client.post(
        url, {"files": [upload("other-card.pdf", pdf_bytes("other"))], "marking": marking(PROPRIETARY).pk, "confirm_new_name": "on"}
    )
    assert response.status_code == 302
    assert list(document.versions.order_by("number").values_list("number", "original_name", "marking__name")) == [
        (1, "atlas-2-model-card.pdf", CUI), (2, "other-card.pdf", PROPRIETARY),
    ]
    assert Document.objects.get(pk=document.pk).marking.name == PROPRIETARY


def test_new_version_with_the_same_name_needs_no_confirmation(demo, login):
    document = _card(demo)
    response = login(demo["liaison_northwind"]).post(
        reverse("document_version_upload", kwargs={"pk": document.pk}), {"files": [upload("atlas-2-model-card.pdf", pdf_bytes("v2"))]}
    )
    assert response.status_code == 302
    assert list(document.versions.order_by("number").values_list("number", "marking__name")) == [(1, CUI), (2, CUI)]


def test_multi_file_upload_takes_each_files_own_kind_and_marking(demo, login):
    review = demo["atlas"]
    before = set(Document.objects.filter(review=review).values_list("pk", flat=True))
    client = login(demo["liaison_northwind"])
    response = client.post(
        reverse("review_documents", kwargs={"pk": review.pk}),
        {
            "kind": "other", "marking": marking(PROPRIETARY).pk, "title": "",
            "files": [upload("system.pdf", pdf_bytes("s")), upload("redteam.pdf", pdf_bytes("r")), upload("notes.pdf", pdf_bytes("n")),
                      upload("bad.pdf", pdf_bytes("b"))],
            "kind:system.pdf": "system_card", "marking:system.pdf": str(marking(CUI).pk),
            "kind:redteam.pdf": "red_team_report",
            "kind:bad.pdf": "poetry",
        },
    )
    assert response.status_code == 302
    created = Document.objects.filter(review=review).exclude(pk__in=before)
    assert sorted(created.values_list("title", "kind", "marking__name")) == [
        ("notes.pdf", "other", PROPRIETARY), ("redteam.pdf", "red_team_report", PROPRIETARY), ("system.pdf", "system_card", CUI),
    ]
    assert sorted(DocumentVersion.objects.filter(document__in=created).values_list("original_name", "marking__name")) == [
        ("notes.pdf", PROPRIETARY), ("redteam.pdf", PROPRIETARY), ("system.pdf", CUI),
    ]
    page = client.get(reverse("review_documents", kwargs={"pk": review.pk})).content.decode()
    assert "bad.pdf refused: choose a kind of document for it." in page


def test_document_page_query_count_does_not_grow_with_its_history(demo, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    v1 = make_document(demo["atlas"], name="history.pdf")
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    counts = []
    for n in (1, 4):
        for i in range(1 if counts else 0, n):
            services.document_update(
                document_id=v1.document_id, actor=demo["liaison_northwind"], title=f"History {i}", kind="other",
                marking=marking(CUI if i % 2 else PROPRIETARY),
            )
        client.get(reverse("document_detail", kwargs={"pk": v1.document_id}))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("document_detail", kwargs={"pk": v1.document_id}))
        assert len(response.context["changes"]) == n
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts
