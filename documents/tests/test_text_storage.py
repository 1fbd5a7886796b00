"""Where a text row's columns live (documents migration 0011): the vector in
the row, where a search's walk reads it; the text and pairs compressed and
moved out of line first."""

from __future__ import annotations

import importlib
import random
import string

from django.db import connection

from documents.models import DocumentText, DocumentVersion

layout = importlib.import_module("documents.migrations.0011_documenttext_vector_inline")


def _storage() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'documents_documenttext'::regclass "
            "AND attname IN ('search_vector', 'text', 'search_pairs')"
        )
        return dict(cursor.fetchall())


def _toast_chunks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = 'documents_documenttext'::regclass")
        (toast,) = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {toast}")
        return cursor.fetchone()[0]


def _write_text(version, words: list[str]) -> None:
    """A text row whose vector (~3 KB of words no compression shrinks) is as
    large as a few pages' and larger than its text."""
    DocumentText.objects.filter(version=version).delete()
    DocumentText.objects.create(version=version, review_id=version.document.review_id, status="extracted", text="Lab notes.")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE documents_documenttext SET search_vector = array_to_tsvector(%s) WHERE version_id = %s",
                       [words, version.pk])


def test_text_row_keeps_its_vector_in_the_row_and_its_text_compressed(db):
    assert _storage() == {"search_vector": "m", "text": "x", "search_pairs": "x"}


def test_a_written_vector_stays_in_the_row(demo):
    first, second = DocumentVersion.objects.filter(document__purpose="review").order_by("pk")[:2]
    rng = random.Random(7)
    words = ["".join(rng.choices(string.ascii_lowercase, k=12)) for _ in range(200)] + ["zircon"]

    # The demo's own texts of both out first: whether theirs were out of line is not this test's.
    DocumentText.objects.filter(version__in=[first, second]).delete()
    before = _toast_chunks()
    _write_text(first, words)
    assert _toast_chunks() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector @@ 'zircon'::tsquery, length(search_vector) FROM documents_documenttext "
                       "WHERE version_id = %s", [first.pk])
        assert cursor.fetchone() == (True, 201)

        # The layout before 0011 (in this test's transaction only) moved the same vector out of line.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending foreign-key checks
        cursor.execute(layout.BACKWARD)
    _write_text(second, words)
    assert _toast_chunks() > before
