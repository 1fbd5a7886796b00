from rest_framework import serializers

from findings.models import SEVERITY_RUBRIC, Finding, FindingCategory, FindingComment, FindingEvent, Response, RetestResult, Severity
from reviews.models import Review

from .base import MULTI_LINE, SingleLineField, StrictSerializer


class FindingEventSerializer(serializers.ModelSerializer):
    """A move of the finding's lifecycle; the organisation acts, never the person (the portal itself: "System")."""

    organisation = serializers.SerializerMethodField()

    class Meta:
        model = FindingEvent
        fields = ["name", "source", "target", "organisation", "detail", "comment", "at"]

    def get_organisation(self, event) -> str:
        from accounts.people import SYSTEM, organisation_label

        return organisation_label(event.actor) if event.actor_id else SYSTEM


class FindingSerializer(serializers.ModelSerializer):
    """A finding as its reader may see it: the agency, never the author."""

    agency = serializers.CharField(source="agency.acronym", read_only=True)
    category = serializers.CharField(source="category.name", read_only=True)
    taxonomy = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Finding
        fields = [
            "id", "review", "agency", "title", "category", "severity", "description", "evidence", "taxonomy", "sharing",
            "shared_at", "status", "response", "response_rationale", "fix_planned_for", "risk_expires_at", "retest_result",
            "closed_at", "created_at",
        ]


class FindingCommentOutSerializer(serializers.ModelSerializer):
    """A comment on the finding the caller may read: which side and organisation
    wrote it (never the person, as the events), and whether it is internal to
    that agency."""

    organisation = serializers.SerializerMethodField()

    class Meta:
        model = FindingComment
        fields = ["id", "side", "organisation", "internal", "body", "created_at"]

    def get_organisation(self, comment) -> str:
        from accounts.people import organisation_label

        return organisation_label(comment.author)


class FindingDetailSerializer(FindingSerializer):
    events = FindingEventSerializer(many=True, read_only=True)
    comments = FindingCommentOutSerializer(
        many=True, read_only=True,
        help_text="The comments the caller may read, oldest first: an agency's internal comments only within that agency.",
    )
    attachments = serializers.SerializerMethodField(
        help_text="Evidence files of the finding and its retests (whoever sees the finding sees them): the agency "
        "that added each (never the person), the latest version's name, size, SHA-256 and scan state, an "
        "evaluation log's task, model and scores, and where the browser downloads it."
    )

    class Meta(FindingSerializer.Meta):
        fields = [*FindingSerializer.Meta.fields, "events", "comments", "attachments"]

    def get_attachments(self, finding) -> list[dict]:
        from django.urls import reverse

        from findings.selectors import attachment_record, finding_attachments

        return [
            {**attachment_record(a), "log_summary": a.log_summary or None,
             "download_url": reverse("finding_evidence_download", kwargs={"pk": a.pk}),
             "view_url": reverse("finding_evidence_view", kwargs={"pk": a.pk}) if a.version and a.version.opens_inline else None}
            for a in finding_attachments(finding=finding)
        ]


class _FindingFields(StrictSerializer):
    title = SingleLineField(max_length=200)
    category = serializers.PrimaryKeyRelatedField(queryset=FindingCategory.objects.filter(active=True))
    severity = serializers.ChoiceField(choices=Severity.choices)
    description = serializers.CharField(style=MULTI_LINE)
    evidence = serializers.CharField(style=MULTI_LINE, required=False, allow_blank=True, default="")
    taxonomy = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list,
        help_text="Ids of the shipped catalogues (GET /api/v1/catalogues/): LLM01, AML.T0051, GAI-9 …",
    )


class FindingCreateSerializer(_FindingFields):
    review = serializers.PrimaryKeyRelatedField(queryset=Review.objects.none())
    draft = serializers.BooleanField(required=False, default=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["review"].queryset = Review.objects.visible_to(request.user)


class FindingEditSerializer(_FindingFields):
    """PATCH: the fields given replace the finding's (only before it is shared)."""


class FindingRespondSerializer(StrictSerializer):
    response = serializers.ChoiceField(choices=Response.choices)
    rationale = serializers.CharField(style=MULTI_LINE, required=False, allow_blank=True, default="")
    fix_planned_for = serializers.DateField(required=False, allow_null=True, default=None)
    risk_expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class FindingRetestSerializer(StrictSerializer):
    result = serializers.ChoiceField(choices=RetestResult.choices)
    comment = serializers.CharField(style=MULTI_LINE, required=False, allow_blank=True, default="")


class FindingCommentAddSerializer(StrictSerializer):
    body = serializers.CharField(style=MULTI_LINE)
    internal = serializers.BooleanField(
        required=False, default=True,
        help_text="An agency's comment: seen only within the agency (the default) or by everyone who sees the finding. "
        "A company's comment is never internal.",
    )


class FindingCommentSerializer(StrictSerializer):
    comment = serializers.CharField(style=MULTI_LINE, required=False, allow_blank=True, default="")


class CatalogueEntrySerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class CatalogueSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    version = serializers.CharField()
    entries = CatalogueEntrySerializer(many=True)


class SeverityLevelSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()
    rubric = serializers.CharField()


class CataloguesSerializer(serializers.Serializer):
    severity = SeverityLevelSerializer(many=True)
    catalogues = CatalogueSerializer(many=True)


def catalogues_document() -> dict:
    """The severity rubric and the current release of each catalogue (active ids)."""
    from findings.models import Catalogue, TaxonomyEntry

    catalogues = {value: {"id": value, "title": label, "version": "", "entries": []} for value, label in Catalogue.choices}
    for catalogue, code, name, version in TaxonomyEntry.objects.filter(active=True).order_by(
        "catalogue", "position", "code"
    ).values_list("catalogue", "code", "name", "version"):
        catalogues[catalogue]["entries"].append({"id": code, "name": name})
        catalogues[catalogue]["version"] = version
    return {
        "severity": [{"id": k.value, "label": k.label, "rubric": v} for k, v in SEVERITY_RUBRIC.items()],
        "catalogues": list(catalogues.values()),
    }
