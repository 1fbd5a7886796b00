"""Documents and versions: liaisons upload (streamed, hashed, typed, scanned as on the web); everyone in scope downloads."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from documents import services as document_services
from documents.delivery import fetch_response
from documents.models import HandlingMarking
from documents.permissions import fetch_refusal
from documents.storage import StorageFault

from documents.models import Document, DocumentVersion
from .. import selectors
from ..exceptions import StorageUnavailable
from ..filters import DocumentFilter, VersionFilter
from ..parsers import StreamingMultiPartParser
from ..serializers.documents import (
    DocumentSerializer,
    DocumentUploadSerializer,
    VersionSerializer,
    VersionUploadSerializer,
)
from .base import AnyRenderer, MaterialViewSet


def _refusals(request) -> None:
    """Files the streaming handler dropped (too large, unsafe name, cut off) refuse the request."""
    request.data  # parse (streaming, hashing) before anything is decided
    refusals = getattr(request._request, "upload_refusals", [])
    if refusals and all(r.code.startswith("storage_") for r in refusals):
        # The temporary upload space was full: the portal's trouble, the same request may succeed later.
        raise StorageUnavailable({"file": [ErrorDetail(f"{r.name} {r.reason}", code=r.code) for r in refusals]})
    if refusals:
        raise ValidationError({"file": [f"{name}: {reason}" for name, reason, _ in refusals]})


def _checked_file(serializer):
    """The uploaded file, after comparing the client's SHA-256 (if sent) with the one computed while streaming."""
    upload = serializer.validated_data["file"]
    claimed = serializer.validated_data.get("sha256")
    computed = getattr(upload, "sha256", None)
    if claimed and computed and claimed.lower() != computed:
        upload.close()
        raise ValidationError(
            {"sha256": [f"The file's SHA-256 is {computed}, not {claimed.lower()}: it changed on the way; nothing was stored."]}
        )
    return upload


def _store(call, upload):
    try:
        return call()
    except StorageFault as exc:
        raise StorageUnavailable({"file": [ErrorDetail(message, code=exc.code) for message in exc.messages]}) from None
    except document_services.UploadRefused as exc:
        raise ValidationError({"file": exc.messages}) from None
    finally:
        upload.close()


class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MaterialViewSet):
    queryset = Document.objects.none()  # for the schema; requests use scoped_queryset()
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter
    ordering_fields = ["created_at", "title", "kind", "id"]
    selector = selectors.document_list
    documents = True

    # Uploads only: multipart, through the portal's streaming, hashing upload handler.
    parser_classes = [StreamingMultiPartParser]

    @extend_schema(
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer},
        description="Uploads a new document with its first version (company liaisons, open reviews). "
        "The file is streamed, hashed (SHA-256), typed from its bytes and, with ClamAV, scanned "
        "exactly as on the web; send `sha256` to have it compared.",
    )
    def create(self, request):
        _refusals(request)
        serializer = DocumentUploadSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        upload = _checked_file(serializer)
        data = serializer.validated_data
        marking = data.get("marking") or HandlingMarking.objects.filter(is_default=True).first()
        version = _store(
            lambda: document_services.document_create(
                review=data["review"], actor=request.user, kind=data["kind"], title=data["title"], marking=marking,
                file=upload, original_name=getattr(upload, "original_name", upload.name),
            ),
            upload,
        )
        document = selectors.document_list(user=request.user, material=False).get(pk=version.document_id)
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": VersionUploadSerializer}, responses={201: VersionSerializer})
    @action(detail=True, methods=["post"], parser_classes=[StreamingMultiPartParser])
    def versions(self, request, pk=None):
        """Adds a version to a document (its earlier versions stay)."""
        document = self.get_object()
        if not self.standing.may_upload:
            raise PermissionDenied("Only the company's liaisons upload documents to an open review.")
        _refusals(request)
        serializer = VersionUploadSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        upload = _checked_file(serializer)
        version = _store(
            lambda: document_services.version_create(
                document=document, actor=request.user, file=upload, original_name=getattr(upload, "original_name", upload.name),
                marking=serializer.validated_data.get("marking"), confirm_new_name=serializer.validated_data["confirm_new_name"],
            ),
            upload,
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class VersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MaterialViewSet):
    queryset = DocumentVersion.objects.none()  # for the schema; requests use scoped_queryset()
    serializer_class = VersionSerializer
    filterset_class = VersionFilter
    ordering_fields = ["uploaded_at", "number", "size", "id"]
    selector = selectors.version_list
    documents = True

    def review_of(self, obj):
        return obj.document.review_id

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file's bytes"),
        },
        description="Streams the file, recorded like a web download. Refused (403) while the scan is pending or when "
        "the file was stored without a scan (except for the company that uploaded it; unscanned files reach everyone "
        "only where the portal runs without a scanner by explicit opt-out), for quarantined files, and when the "
        "marking allows viewing only.",
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, AnyRenderer])
    def download(self, request, pk=None):
        version = self.get_object()
        refusal = fetch_refusal(request.user, version, inline=False)
        if refusal:
            raise PermissionDenied(refusal)
        return fetch_response(request._request, version, inline=False, user=request.user)
