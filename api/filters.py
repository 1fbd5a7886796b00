"""List filters. Related objects are filtered by plain ids (NumberFilter), never by a
choice over every row: "no such choice" for an out-of-scope id would tell it exists."""

import django_filters

from documents.models import Document, DocumentKind, DocumentVersion, ScanStatus
from findings.models import Finding, Severity, Sharing
from modelaccess.models import AccessEndpoint, Credential
from reviews.models import Review, ReviewStatus
from rfis.models import InformationRequest, RfiStatus
from companies.models import AIModel, Modality


class ModelFilter(django_filters.FilterSet):
    company = django_filters.NumberFilter(field_name="company_id")
    modality = django_filters.ChoiceFilter(choices=Modality.choices)

    class Meta:
        model = AIModel
        fields = ["company", "modality"]


class ReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)
    agency = django_filters.NumberFilter(field_name="agencies__id")
    company = django_filters.NumberFilter(field_name="company_id")
    model = django_filters.NumberFilter(field_name="model_id")

    class Meta:
        model = Review
        fields = ["status", "agency", "company", "model"]


class DocumentFilter(django_filters.FilterSet):
    review = django_filters.NumberFilter(field_name="review_id")
    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices)

    class Meta:
        model = Document
        fields = ["review", "kind"]


class VersionFilter(django_filters.FilterSet):
    document = django_filters.NumberFilter(field_name="document_id")
    review = django_filters.NumberFilter(field_name="document__review_id")
    scan_status = django_filters.ChoiceFilter(choices=ScanStatus.choices)

    class Meta:
        model = DocumentVersion
        fields = ["document", "review", "scan_status"]


class RfiFilter(django_filters.FilterSet):
    review = django_filters.NumberFilter(field_name="review_id")
    status = django_filters.ChoiceFilter(choices=RfiStatus.choices)
    blocking = django_filters.BooleanFilter()

    class Meta:
        model = InformationRequest
        fields = ["review", "status", "blocking"]


class FindingFilter(django_filters.FilterSet):
    review = django_filters.NumberFilter(field_name="review_id")
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    sharing = django_filters.ChoiceFilter(choices=Sharing.choices)

    class Meta:
        model = Finding
        fields = ["review", "severity", "sharing"]


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        from notifications.models import Notification

        model = Notification
        fields = ["unread"]


class AccessEndpointFilter(django_filters.FilterSet):
    review = django_filters.NumberFilter(field_name="review_id")

    class Meta:
        model = AccessEndpoint
        fields = ["review"]


class CredentialFilter(django_filters.FilterSet):
    review = django_filters.NumberFilter(field_name="review_id")
    endpoint = django_filters.NumberFilter(field_name="endpoint_id")

    class Meta:
        model = Credential
        fields = ["review", "endpoint"]
