"""No secret anywhere but the reviewer's single reveal (issue 21): the whole
life of a credential is driven through the pages and the API, and everything
the portal wrote or said meanwhile is searched for the secrets."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from modelaccess.models import Credential
from notifications.models import Email, Notification
from reviews import services as review_services

pytestmark = pytest.mark.django_db

WEB_SECRET = "sk-web-7c1f0a9e3b5d42e8a6f1"
API_SECRET = "sk-api-2b8e6d4c0a9f17e5c3d2"
CSV_SECRET = "sk-csv-9d3a7f1c5e2b48a6d0c4"
BAD_SECRET = "sk-bad-4e6a2c8f0b1d39e7a5c3"
SECRETS = (WEB_SECRET, API_SECRET, CSV_SECRET, BAD_SECRET)


def _body(response) -> str:
    assert response.status_code == 200
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


def test_secrets_appear_only_in_the_reveal(world, login, api, caplog, capsys, django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    # What runs after commit (the outbox's delivery) runs when this block ends.
    after_commit = django_capture_on_commit_callbacks(execute=True)
    after_commit.__enter__()
    review, endpoint, liaison = world["review"], world["endpoint"], world["liaison_northwind"]
    seen: list[str] = []  # everything the portal answered, except the one reveal

    company = login(liaison)
    page = reverse("review_model_access", kwargs={"pk": review.pk})
    # A refused form (unknown reviewer) is shown again without the secret.
    refused = company.post(
        reverse("model_access_credential_issue", kwargs={"pk": review.pk}),
        {"issue-endpoint": endpoint.pk, "issue-reviewer": "NSA reviewer 9", "issue-kind": "api_key", "issue-secret": BAD_SECRET},
    )
    assert refused.status_code == 200
    seen.append(refused.content.decode())
    # A refused CSV file (one unknown pseudonym) names the line, not the secret.
    bad_csv = company.post(
        reverse("model_access_credentials_import", kwargs={"pk": review.pk}),
        {"import-endpoint": endpoint.pk, "import-kind": "token",
         "import-file": SimpleUploadedFile("keys.csv", f"NSA reviewer 2,{CSV_SECRET}\nNobody,{BAD_SECRET}\n".encode())},
    )
    assert "Line 2" in bad_csv.content.decode()
    seen.append(bad_csv.content.decode())
    # Issued on the page, from a CSV file, and through the API.
    ok = company.post(
        reverse("model_access_credential_issue", kwargs={"pk": review.pk}),
        {"issue-endpoint": endpoint.pk, "issue-reviewer": "NSA reviewer 1", "issue-kind": "api_key", "issue-secret": WEB_SECRET},
    )
    assert ok.status_code == 302
    company.post(
        reverse("model_access_credentials_import", kwargs={"pk": review.pk}),
        {"import-endpoint": endpoint.pk, "import-kind": "token",
         "import-file": SimpleUploadedFile("keys.csv", f"pseudonym,secret\nNSA reviewer 2,{CSV_SECRET}\n".encode())},
    )
    automation = api(liaison)
    second_endpoint = automation.post(
        reverse("api:access-endpoint-list"), {"review": review.pk, "name": "Playground", "kind": "playground", "url": "https://play.example"},
        format="json",
    )
    seen.append(second_endpoint.content.decode())
    issued = automation.post(
        reverse("api:credential-list"),
        {"review": review.pk, "endpoint": second_endpoint.json()["id"], "reviewer": "NSA reviewer 1", "kind": "token", "secret": API_SECRET},
        format="json",
    )
    assert issued.status_code == 201, issued.content
    seen.append(issued.content.decode())
    assert set(Credential.objects.values_list("kind", flat=True)) == {"api_key", "token"}
    assert Credential.objects.count() == 3

    # The reviewer reveals one, once; the second try alerts the company and the office.
    reviewer = login(world["first"])
    web_credential = Credential.objects.get(kind="api_key")
    reveal = reviewer.post(reverse("credential_reveal", kwargs={"pk": web_credential.pk}))
    assert WEB_SECRET in reveal.content.decode()  # the one place a secret is shown
    seen.append(reviewer.post(reverse("credential_reveal", kwargs={"pk": web_credential.pk})).content.decode())
    seen.append(reviewer.get(page).content.decode())
    # Reviewers cannot fetch a secret through the API at all.
    reviewer_api = api(world["first"], accept_terms_for=[review])
    for url in (reverse("api:credential-list"), reverse("api:credential-detail", kwargs={"pk": web_credential.pk})):
        response = reviewer_api.get(url)
        assert response.status_code == 200
        seen.append(response.content.decode())
    assert reviewer_api.get(f"/api/v1/credentials/{web_credential.pk}/reveal/").status_code == 404

    # The interim closing reports (CSV) of each side.
    for who in (company, login(world["admin"])):
        seen.append(_body(who.get(reverse("review_report", kwargs={"pk": review.pk, "fmt": "csv"}))))

    # The grants end (withdrawal): the company is told what to rotate.
    review_services.review_withdraw(review_id=review.pk, actor=liaison, reason="Changed plans")
    assert Credential.objects.filter(ended_at__isnull=False).count() == 3  # the revealed one too

    # What everyone can read afterwards.
    seen.append(company.get(page).content.decode())
    seen.append(automation.get(reverse("api:credential-list")).content.decode())
    admin = login(world["admin"])
    seen.append(admin.get(page).content.decode())
    seen.append(_body(admin.get(reverse("audit_export"))))
    seen.append(admin.get(reverse("review_history", kwargs={"pk": review.pk})).content.decode())
    seen.append(company.get(reverse("review_history", kwargs={"pk": review.pk})).content.decode())
    seen.append(api(world["admin"]).get(reverse("api:credential-list")).content.decode())

    after_commit.__exit__(None, None, None)

    # Everything the portal wrote or said.
    seen += [f"{m.subject}\n{m.body}" for m in mail.outbox]
    seen += [f"{e.subject}\n{e.body}" for e in Email.objects.all()]
    seen += [f"{n.title}\n{n.body}" for n in Notification.objects.all()]
    seen += [f"{e.action} {e.target_label} {e.payload}" for e in AuditEvent.objects.all()]
    seen.append(caplog.text)
    captured = capsys.readouterr()
    seen += [captured.out, captured.err]
    # Credentials are stored encrypted and their secrets erased once seen or ended.
    seen += [str(row) for row in Credential.objects.values_list()]

    assert any("to rotate" in text for text in seen)
    assert any("tried to reveal a credential again" in text for text in seen)
    assert mail.outbox, "the alerts were e-mailed"
    for secret in SECRETS:
        leaks = [text[:200] for text in seen if secret in text]
        assert not leaks, (secret, leaks)
