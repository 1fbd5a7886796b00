"""Storage faults leave nothing behind: a full disk, an S3 error part-way, a commit that fails after the write.

The full disk is real where the machine allows it: MEDIA_ROOT on a 256 KiB
tmpfs mounted for the test (root, as in CI). Where mounting is not permitted,
a FileSystemStorage that really writes the first 64 KiB of the file and then
gets ENOSPC from the kernel's /dev/full stands in. S3 is moto's server on a
loopback port, with the connection broken off in the middle of a multipart
upload.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from audit.models import AuditEvent
from documents import services
from documents.models import Document, DocumentVersion

from .factories import make_document, marking, pdf_bytes, upload

FULL_MESSAGE = "{name} was not stored: the portal's storage is full. Nothing was kept; try again later."
DOWN_MESSAGE = "{name} was not stored: the portal's storage is unavailable. Nothing was kept; try again later."


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


class _DevFullStorage(FileSystemStorage):
    """Writes 64 KiB of the file for real, then the next write goes to /dev/full (ENOSPC)."""

    def _save(self, name, content):
        full_path = Path(self.path(name))
        full_path.parent.mkdir(parents=True, exist_ok=True)
        content.seek(0)
        with open(full_path, "wb") as out, open("/dev/full", "wb", buffering=0) as full:
            out.write(content.read(64 * 1024))
            out.flush()
            full.write(content.read(64 * 1024))  # OSError(ENOSPC)
        return name


@pytest.fixture
def full_disk(settings, tmp_path):
    """MEDIA_ROOT on a storage with 256 KiB of room; yields the media root."""
    root = tmp_path / "tiny"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(root)], capture_output=True
    ).returncode == 0 if shutil.which("mount") and os.geteuid() == 0 else False
    settings.MEDIA_ROOT = str(root)
    if not mounted:
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}._DevFullStorage"}}
    yield root
    if mounted:
        subprocess.run(["umount", "-l", str(root)], check=True)


def big_text(kib: int = 600) -> bytes:
    return (b"evaluation log line " * 52 + b"\n") * kib  # about 1 KiB a line, text/plain


@pytest.mark.django_db
def test_full_disk_web_upload_leaves_no_file_and_names_the_file(demo, client, login, full_disk):
    login(demo["liaison_northwind"])
    before = (DocumentVersion.objects.count(), Document.objects.count(), AuditEvent.objects.filter(action="document.upload").count())
    data = {"kind": "model_card", "marking": marking().pk, "title": "", "files": [upload("eval-log.txt", big_text())]}
    response = client.post(
        reverse("review_documents", kwargs={"pk": demo["atlas_mini"].pk}), data, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 503
    assert response.json() == {
        "results": [{"name": "eval-log.txt", "ok": False, "code": "storage_full", "message": FULL_MESSAGE.format(name="eval-log.txt")}]
    }
    assert files_under(full_disk) == []
    assert (DocumentVersion.objects.count(), Document.objects.count(), AuditEvent.objects.filter(action="document.upload").count()) == before


@pytest.mark.django_db
def test_full_disk_stores_the_small_file_and_refuses_the_big_one_on_the_page(demo, client, login, full_disk):
    login(demo["liaison_northwind"])
    small = pdf_bytes("fits")
    data = {"kind": "model_card", "marking": marking().pk, "title": "", "files": [upload("small.pdf", small), upload("big.txt", big_text())]}
    response = client.post(reverse("review_documents", kwargs={"pk": demo["atlas_mini"].pk}), data, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert shown[1] == FULL_MESSAGE.format(name="big.txt")
    assert shown[0].startswith("small.pdf stored as version 1")
    [version] = DocumentVersion.objects.filter(document__review=demo["atlas_mini"], original_name__in=["small.pdf", "big.txt"])
    assert version.original_name == "small.pdf"
    assert files_under(full_disk) == [version.file.name]
    assert (full_disk / version.file.name).read_bytes() == small


@pytest.mark.django_db
def test_full_disk_api_upload_is_a_json_503_and_leaves_no_file(demo, full_disk):
    from rest_framework.test import APIClient

    from api.services import token_create

    _, token = token_create(user=demo["liaison_northwind"], name="ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    before = DocumentVersion.objects.count()
    response = client.post(
        "/api/v1/documents/",
        {"review": demo["atlas_mini"].pk, "kind": "model_card", "file": upload("eval-log.txt", big_text())},
        format="multipart",
    )
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "60"
    assert response.json() == {
        "errors": [{"field": "file", "code": "storage_full", "message": FULL_MESSAGE.format(name="eval-log.txt")}]
    }
    assert files_under(full_disk) == [] and DocumentVersion.objects.count() == before


@pytest.fixture
def full_temp_dir(settings, tmp_path):
    """FILE_UPLOAD_TEMP_DIR on a 256 KiB tmpfs (a folder that does not exist where mounting is not allowed)."""
    root = tmp_path / "upload-tmp"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(root)], capture_output=True
    ).returncode == 0 if shutil.which("mount") and os.geteuid() == 0 else False
    settings.FILE_UPLOAD_TEMP_DIR = str(root if mounted else root / "gone")
    yield root
    if mounted:
        subprocess.run(["umount", "-l", str(root)], check=True)


@pytest.mark.django_db
def test_full_temporary_upload_space_is_a_json_503_on_the_api_and_leaves_nothing(demo, full_temp_dir):
    """The fault run found it answered 400, as if the request were wrong: it is the portal's trouble."""
    from rest_framework.test import APIClient

    from api.services import token_create

    _, token = token_create(user=demo["liaison_northwind"], name="ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    before = DocumentVersion.objects.count()
    response = client.post(
        "/api/v1/documents/",
        {"review": demo["atlas_mini"].pk, "kind": "model_card", "file": upload("eval-log.txt", big_text())},
        format="multipart",
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.json() == {"errors": [{
        "field": "file", "code": "storage_full",
        "message": "eval-log.txt was not stored: the portal's temporary upload space is full or unavailable. Try again later.",
    }]}
    assert DocumentVersion.objects.count() == before
    assert files_under(full_temp_dir) == []


@pytest.mark.django_db
def test_full_temporary_upload_space_is_a_503_for_the_upload_script_and_names_the_file(demo, client, login, full_temp_dir):
    login(demo["liaison_northwind"])
    before = DocumentVersion.objects.count()
    data = {"kind": "model_card", "marking": marking().pk, "title": "", "files": [upload("eval-log.txt", big_text())]}
    response = client.post(
        reverse("review_documents", kwargs={"pk": demo["atlas_mini"].pk}), data, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 503
    assert response.json()["results"] == [{
        "name": "eval-log.txt", "ok": False, "code": "storage_full",
        "message": "eval-log.txt was not stored: the portal's temporary upload space is full or unavailable. Try again later.",
    }]
    assert DocumentVersion.objects.count() == before
    assert files_under(full_temp_dir) == []


# --- S3 (moto's server) ---------------------------------------------------------


@pytest.fixture(scope="module")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(settings, moto_endpoint):
    """Default storage in a fresh bucket on the moto server; yields the boto3 client."""
    import uuid

    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    bucket = f"portal-{uuid.uuid4().hex[:12]}"
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
    client = boto3.client("s3", endpoint_url=moto_endpoint, **credentials)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": moto_endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "default_acl": "private",
                "file_overwrite": False,
                # 5 MiB parts (S3's smallest) so that a 12 MiB file is a three-part upload.
                "transfer_config": TransferConfig(multipart_threshold=5 * 1024**2, multipart_chunksize=5 * 1024**2),
                "client_config": Config(retries={"mode": "standard", "max_attempts": 2}),
            },
        },
    }
    client.bucket = bucket
    return client


def _bucket_state(client) -> tuple[list[str], list[str]]:
    objects = [o["Key"] for o in client.list_objects_v2(Bucket=client.bucket).get("Contents", [])]
    uploads = [u["Key"] for u in client.list_multipart_uploads(Bucket=client.bucket).get("Uploads", [])]
    return objects, uploads


@pytest.mark.django_db
def test_s3_upload_stores_the_object_under_its_random_name(demo, s3):
    version = make_document(demo["atlas_mini"], name="card.pdf", content=pdf_bytes("on s3"))
    assert _bucket_state(s3) == ([version.file.name], [])
    assert s3.get_object(Bucket=s3.bucket, Key=version.file.name)["Body"].read() == pdf_bytes("on s3")


@pytest.mark.django_db
def test_s3_error_part_way_leaves_no_object_and_no_open_multipart_upload(demo, s3):
    from botocore.exceptions import ConnectionClosedError

    parts = []

    def break_second_part(request, **kwargs):
        parts.append(request.url)
        if "partNumber=2" in request.url:
            raise ConnectionClosedError(endpoint_url=request.url)

    default_storage.connection.meta.client.meta.events.register("before-send.s3.UploadPart", break_second_part)
    before = DocumentVersion.objects.count()
    with pytest.raises(services.UploadRefused) as refused:
        services.document_create(
            review=demo["atlas_mini"], actor=demo["liaison_northwind"], kind="model_card", title="",
            marking=marking(), file=upload("weights-notes.txt", big_text(12 * 1024)), original_name="weights-notes.txt",
        )
    assert refused.value.messages == [DOWN_MESSAGE.format(name="weights-notes.txt")]
    assert any("partNumber=1" in url for url in parts)  # the upload really was under way
    assert _bucket_state(s3) == ([], [])
    assert DocumentVersion.objects.count() == before


# --- A commit that fails after the write ---------------------------------------------


@pytest.fixture
def failing_commit(django_db_blocker):
    """A deferred trigger that makes the commit of any new version fail (as a database gone at commit would)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            CREATE FUNCTION test_refuse_commit() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$;
            CREATE CONSTRAINT TRIGGER test_refuse_commit AFTER INSERT ON documents_documentversion
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_refuse_commit();
            """
        )
    yield
    with connection.cursor() as cur:
        cur.execute(
            "DROP TRIGGER test_refuse_commit ON documents_documentversion; DROP FUNCTION test_refuse_commit();"
        )


@pytest.mark.django_db(transaction=True)
def test_a_failed_commit_after_the_write_removes_the_file(demo, settings, failing_commit):
    media = Path(settings.MEDIA_ROOT)
    before_files, before_versions = files_under(media), DocumentVersion.objects.count()
    with pytest.raises(DatabaseError, match="commit refused by the test"):
        services.document_create(
            review=demo["atlas_mini"], actor=demo["liaison_northwind"], kind="model_card", title="",
            marking=marking(), file=upload("card.pdf", pdf_bytes("lost at commit")), original_name="card.pdf",
        )
    assert files_under(media) == before_files
    assert DocumentVersion.objects.count() == before_versions


@pytest.mark.django_db
def test_storage_orphans_reports_then_deletes_what_a_rolled_back_caller_left(demo, settings):
    """A service called inside the caller's transaction cannot see that transaction roll back: the sweep can."""
    media = Path(settings.MEDIA_ROOT)
    kept = make_document(demo["atlas_mini"], name="kept.pdf", content=pdf_bytes("kept"))

    class CallerFailed(Exception):
        pass

    with pytest.raises(CallerFailed), transaction.atomic():
        lost = make_document(demo["atlas_mini"], name="lost.pdf", content=pdf_bytes("lost"))
        raise CallerFailed
    assert not DocumentVersion.objects.filter(pk=lost.pk).exists()
    assert (media / lost.file.name).exists()

    out = StringIO()
    call_command("storage_orphans", stdout=out)  # default grace: an hour, so the fresh file is not touched yet
    assert out.getvalue().splitlines() == ["Found 0 orphan file(s), 0 bytes, older than 60 minutes."]

    old = (media / lost.file.name).stat().st_mtime - 2 * 3600
    os.utime(media / lost.file.name, (old, old))
    out = StringIO()
    call_command("storage_orphans", stdout=out)
    size = len(pdf_bytes("lost"))
    lines = out.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines[:-1]] == [f"orphan {lost.file.name}"]
    assert f"({size} bytes, written " in lines[0]
    assert lines[-1] == f"Found 1 orphan file(s), {size} bytes, older than 60 minutes. Run with --delete to remove them."
    assert (media / lost.file.name).exists()  # a dry run deletes nothing

    out = StringIO()
    call_command("storage_orphans", "--delete", stdout=out)
    assert out.getvalue().splitlines()[-1] == f"Deleted 1 orphan file(s), {size} bytes, older than 60 minutes."
    assert not (media / lost.file.name).exists()
    assert (media / kept.file.name).read_bytes() == pdf_bytes("kept")


@pytest.mark.django_db
def test_storage_orphans_never_touches_a_file_a_version_names(demo, settings):
    media = Path(settings.MEDIA_ROOT)
    version = make_document(demo["atlas_mini"], name="kept.pdf", content=pdf_bytes("kept"))
    old = (media / version.file.name).stat().st_mtime - 48 * 3600
    os.utime(media / version.file.name, (old, old))
    from documents.storage import orphans_remove

    assert orphans_remove(older_than=timedelta(0)) == []
    assert (media / version.file.name).exists()


def test_enospc_is_a_full_disk_and_other_errors_are_unavailable():
    from documents.storage import storage_fault

    assert storage_fault("a.pdf", OSError(errno.ENOSPC, "No space left on device")).code == "storage_full"
    assert storage_fault("a.pdf", OSError(errno.EDQUOT, "Disk quota exceeded")).code == "storage_full"
    assert storage_fault("a.pdf", OSError(errno.EIO, "I/O error")).code == "storage_unavailable"


@pytest.mark.django_db
def test_x_accel_download_from_s3_points_nginx_at_a_presigned_path(demo, s3, settings, login):
    """nginx's internal location proxies to the S3 endpoint; the presigned query, not nginx, authorises the read."""
    import urllib.request

    from documents.models import DocumentAccess

    settings.PORTAL_X_ACCEL_REDIRECT_PREFIX = "/protected/"
    content = b"evaluation,score\nctf,0.5\n"
    version = make_document(demo["atlas_mini"], name="eval.csv", content=content)
    response = login(demo["liaison_northwind"]).get(reverse("version_download", kwargs={"pk": version.pk}))
    assert response.status_code == 200 and response.content == b""
    target = response["X-Accel-Redirect"]
    path, _, query = target.partition("?")
    assert path == f"/protected/{s3.bucket}/{version.file.name}"
    assert "Signature=" in query and "Expires=" in query  # SigV2 or SigV4, as the client signs
    assert DocumentAccess.objects.filter(action="download", version=version).count() == 1
    # What nginx then fetches (the prefix replaced by the endpoint) is the file.
    endpoint = settings.STORAGES["default"]["OPTIONS"]["endpoint_url"]
    with urllib.request.urlopen(endpoint + target.removeprefix("/protected")) as fetched:
        assert fetched.read() == content
