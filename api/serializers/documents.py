from rest_framework import serializers

from documents.models import Document, DocumentKind, DocumentVersion, HandlingMarking
from reviews.models import Review

from .base import SingleLineField, StrictSerializer

SHA256 = serializers.RegexField(
    r"^[0-9a-fA-F]{64}$", required=False, help_text="SHA-256 of the file as the client computed it; a mismatch refuses the upload."
)


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentVersion
        fields = [
            "id", "document", "number", "original_name", "size", "content_type", "sha256", "scan_status", "scan_detail",
            "uploaded_at", "scanned_at",
        ]


class VersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentVersion
        fields = ["id", "number", "original_name", "size", "content_type", "sha256", "scan_status", "uploaded_at"]


class DocumentSerializer(serializers.ModelSerializer):
    marking = serializers.CharField(source="marking.name", read_only=True)
    downloads_allowed = serializers.BooleanField(source="marking.downloads_allowed", read_only=True)
    versions = VersionSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Document
        fields = ["id", "review", "kind", "title", "marking", "downloads_allowed", "created_at", "versions"]


class DocumentUploadSerializer(StrictSerializer):
    review = serializers.PrimaryKeyRelatedField(queryset=Review.objects.none())
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    title = SingleLineField(max_length=200, required=False, allow_blank=True, default="")
    marking = serializers.PrimaryKeyRelatedField(queryset=HandlingMarking.objects.all(), required=False)
    file = serializers.FileField(use_url=False)
    sha256 = SHA256

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["review"].queryset = Review.objects.visible_to(request.user)


class VersionUploadSerializer(StrictSerializer):
    file = serializers.FileField(use_url=False)
    sha256 = SHA256
    marking = serializers.PrimaryKeyRelatedField(
        queryset=HandlingMarking.objects.all(), required=False, help_text="This version's marking (default: the document's)."
    )
    confirm_new_name = serializers.BooleanField(
        required=False, default=False,
        help_text="Required (true) when the file's name differs from the current version's; refused on `file` otherwise.",
    )
