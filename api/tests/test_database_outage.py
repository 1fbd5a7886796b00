"""PostgreSQL gone mid-request is a clear, closed door (issue 15): 503 "try again shortly" —
the API's error body for a JSON client, the portal's 503 page for a browser — never a 500,
and nothing half-written.

Real faults on the test's own database server: the request's backend is terminated
(``pg_terminate_backend``) from another connection, or terminates itself at commit (a
deferred trigger), or the connection points at a port nobody listens on.
"""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from documents.models import DocumentVersion
from documents.tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

UNAVAILABLE = {
    "errors": [{"field": None, "code": "service_unavailable", "message": "The portal is temporarily unavailable; try again shortly."}]
}


def _admin_connection() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or None, port=s["PORT"] or None, user=s["USER"] or None, password=s["PASSWORD"] or None,
        dbname=s["NAME"], autocommit=True, connect_timeout=5,
    )


def _terminate_this_connection() -> None:
    """Kills the server process behind Django's connection, as a PostgreSQL restart does."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with _admin_connection() as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0] is True


def _files(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def terminate_at_commit():
    """A deferred trigger whose backend terminates itself when an upload's version row commits."""
    with connection.cursor() as cur:
        cur.execute(
            """
            CREATE FUNCTION test_terminate_at_commit() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER test_terminate_at_commit AFTER INSERT ON documents_documentversion
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_terminate_at_commit();
            """
        )
    yield
    connection.close()
    with connection.cursor() as cur:
        cur.execute("DROP TRIGGER test_terminate_at_commit ON documents_documentversion; DROP FUNCTION test_terminate_at_commit();")


def test_api_upload_whose_database_dies_at_commit_is_a_json_503_and_keeps_nothing(demo, api, settings, terminate_at_commit):
    client = api(demo["liaison_northwind"])
    before_files, before_versions = _files(settings), DocumentVersion.objects.count()
    response = client.post(
        "/api/v1/documents/",
        {"review": demo["atlas_mini"].pk, "kind": "model_card", "file": SimpleUploadedFile("card.pdf", pdf_bytes("cut off"))},
        format="multipart",
    )
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "30"
    assert response.json() == UNAVAILABLE
    connection.close()  # the terminated connection; the next query opens a new one
    assert DocumentVersion.objects.count() == before_versions
    assert _files(settings) == before_files  # the file written before the commit was removed


def test_api_request_after_the_database_dropped_the_connection_is_a_json_503(demo, api):
    client = api(demo["reviewer_nsa"])
    assert client.get("/api/v1/reviews/").status_code == 200
    _terminate_this_connection()
    response = client.get("/api/v1/reviews/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == UNAVAILABLE
    connection.close()
    assert client.get("/api/v1/reviews/").status_code == 200  # the server is back: so is the portal


def test_json_client_outside_the_api_gets_a_json_503_while_the_database_is_unreachable(demo):
    # The error is raised in a middleware (the user behind the session): the error handler answers,
    # so the test client must not re-raise it.
    client = Client(raise_request_exception=False)
    client.force_login(demo["reviewer_nsa"])  # its session is a row: reading it needs the database
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    original = connection.settings_dict
    connection.close()
    connection.settings_dict = {**original, "HOST": "127.0.0.1", "PORT": str(closed_port)}
    try:
        response = client.get(reverse("dashboard"), HTTP_ACCEPT="application/json")
    finally:
        connection.close()
        connection.settings_dict = original
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == UNAVAILABLE


def test_upload_refused_by_an_outage_before_its_body_was_read_still_reads_it(demo, api):
    """Answered and closed with bytes unread, the connection is reset and nginx shows an HTML 502 instead."""
    client = api(demo["liaison_northwind"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    original = connection.settings_dict
    connection.close()
    connection.settings_dict = {**original, "HOST": "127.0.0.1", "PORT": str(closed_port)}
    try:
        response = client.post(
            "/api/v1/documents/",
            {"review": demo["atlas_mini"].pk, "kind": "model_card",
             "file": SimpleUploadedFile("log.txt", b"evaluation log line\n" * 200_000)},
            format="multipart",
        )
    finally:
        connection.close()
        connection.settings_dict = original
    assert response.status_code == 503 and response.json() == UNAVAILABLE
    stream = response.wsgi_request._stream
    assert stream.limit > 4_000_000 and stream._pos == stream.limit  # the whole body was read before answering


def test_sign_in_after_the_database_dropped_the_connection_is_the_503_page(demo):
    client = Client(raise_request_exception=False)
    client.get(reverse("account_login"))
    _terminate_this_connection()
    response = client.post(reverse("account_login"), {"login": "reviewer.nsa@agency.example", "password": "wrong password"})
    connection.close()  # the terminated connection
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Temporarily unavailable" in page and "Try again shortly" in page
    assert "Traceback" not in page and "OperationalError" not in page


def test_a_statement_timeout_is_not_an_outage(demo):
    """A cancelled statement is an OperationalError too, but the server is there: a 500, not "try again"."""
    from django.db import OperationalError, transaction

    from portal.outage import outage_of

    with pytest.raises(OperationalError) as caught, transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL statement_timeout = 1")
        cur.execute("SELECT pg_sleep(0.5)")
    assert caught.value.__cause__.sqlstate == "57014"
    assert outage_of(caught.value) is None
