from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from findings import services as finding_services
from findings.models import Finding
from notifications.models import Notification
from notifications.services import notification_mark_read
from reviews.selectors import standing_get

from .. import selectors
from ..filters import FindingFilter, NotificationFilter
from ..serializers.findings import (
    CataloguesSerializer,
    FindingCommentAddSerializer,
    FindingCommentSerializer,
    FindingCreateSerializer,
    FindingDetailSerializer,
    FindingEditSerializer,
    FindingRespondSerializer,
    FindingRetestSerializer,
    FindingSerializer,
    catalogues_document,
)
from ..serializers.notifications import MarkedReadSerializer, NotificationSerializer
from .base import MaterialViewSet, PortalViewSet


class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MaterialViewSet):
    """Findings within each role's visibility (internal ones stay in their agency; companies see shared ones).

    Agencies record (POST), edit before sharing (PATCH), retest and close; the
    company responds. Scope first (404), then who may (403), then the body and
    the finding's state (400)."""

    queryset = Finding.objects.none()  # for the schema; requests use scoped_queryset()
    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    ordering_fields = ["created_at", "severity", "id"]
    selector = selectors.finding_list
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self):
        qs = super().scoped_queryset()
        if self.action == "list":
            return qs
        return qs.prefetch_related(selectors.finding_events(self.request.user), selectors.finding_comments(self.request.user))

    def get_serializer_class(self):
        return FindingSerializer if self.action == "list" else FindingDetailSerializer

    def _detail(self, pk: int, code=status.HTTP_200_OK):
        finding = selectors.finding_list(user=self.request.user, material=False).prefetch_related(
            selectors.finding_events(self.request.user), selectors.finding_comments(self.request.user),
        ).get(pk=pk)
        return Response(FindingDetailSerializer(finding).data, status=code)

    @extend_schema(request=FindingCreateSerializer, responses={201: FindingDetailSerializer})
    def create(self, request):
        """Records a finding (or a draft), internal to the caller's agency (participating leads and accepted reviewers)."""
        serializer = FindingCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        review = data.pop("review")
        standing_get(user=request.user, review=review).require_material()
        finding = finding_services.finding_create(review_id=review.pk, actor=request.user, **data)
        return self._detail(finding.pk, status.HTTP_201_CREATED)

    @extend_schema(request=FindingEditSerializer, responses={200: FindingDetailSerializer})
    def partial_update(self, request, pk=None):
        """The finding's agency corrects it before it is shared, and revises it afterwards (each change a new
        revision) until it is closed; the fields given replace the finding's."""
        finding = self.get_object()
        if not (self.standing.acts_for_agency and self.standing.agency_id == finding.agency_id):
            raise PermissionDenied("Only the finding's agency edits it.")
        serializer = FindingEditSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        current = {
            "title": finding.title, "category": finding.category, "severity": finding.severity,
            "description": finding.description, "evidence": finding.evidence,
            "taxonomy": list(finding.taxonomy.values_list("code", flat=True)),
        }
        finding_services.finding_edit(finding_id=finding.pk, actor=request.user, **{**current, **serializer.validated_data})
        return self._detail(finding.pk)

    def _move(self, name: str, serializer_class, call):
        from findings import workflow

        finding = self.get_object()
        transition = workflow.TRANSITIONS[name]
        if not transition.allowed(self.standing, finding):
            raise PermissionDenied(f"Only {transition.who} may do this.")
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        call(finding, serializer.validated_data)
        return self._detail(finding.pk)

    @extend_schema(request=FindingCommentAddSerializer, responses={201: FindingDetailSerializer})
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        """Adds a comment: an agency that sees the finding (internal to the agency unless ``internal`` is false),
        or the company on a finding shared with it (never internal). Answers with the finding and its comments."""
        finding = self.get_object()
        side = self.standing.finding_comment_side(finding)
        if side is None:
            raise PermissionDenied("You cannot comment on this finding.")
        serializer = FindingCommentAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if side == "company" and "internal" in request.data and data["internal"]:
            raise ValidationError({"internal": "A company's comment is never internal: everyone who sees the finding reads it."})
        finding_services.finding_comment(finding_id=finding.pk, actor=request.user, body=data["body"], internal=data["internal"])
        return self._detail(finding.pk, status.HTTP_201_CREATED)

    @extend_schema(request=FindingCommentSerializer, responses={200: FindingDetailSerializer})
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        """Records a draft (draft → recorded, still internal)."""
        return self._move("record", FindingCommentSerializer, lambda f, d: finding_services.finding_record(
            finding_id=f.pk, actor=request.user, comment=d["comment"]))

    @extend_schema(request=FindingRespondSerializer, responses={200: FindingDetailSerializer})
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        """The company's response to a finding shared with it."""
        return self._move("respond", FindingRespondSerializer, lambda f, d: finding_services.finding_respond(
            finding_id=f.pk, actor=request.user, **d))

    @extend_schema(request=FindingRetestSerializer, responses={200: FindingDetailSerializer})
    @action(detail=True, methods=["post"])
    def retest(self, request, pk=None):
        """An agency that sees the finding records a retest after the company's response."""
        return self._move("retest", FindingRetestSerializer, lambda f, d: finding_services.finding_retest(
            finding_id=f.pk, actor=request.user, **d))

    @extend_schema(request=FindingCommentSerializer, responses={200: FindingDetailSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """A lead of the finding's agency (or a program admin) closes it, saying why."""
        return self._move("close", FindingCommentSerializer, lambda f, d: finding_services.finding_close(
            finding_id=f.pk, actor=request.user, comment=d["comment"]))


class CataloguesView(APIView):
    """The severity rubric and the AI-risk catalogues findings are classified against
    (OWASP Top 10 for LLM Applications 2025, MITRE ATLAS, NIST AI 600-1): the current
    release's ids, the same for everyone."""

    @extend_schema(responses={200: CataloguesSerializer})
    def get(self, request):
        return Response(catalogues_document())


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PortalViewSet):
    """The caller's own notification centre."""

    queryset = Notification.objects.none()  # for the schema; requests use scoped_queryset()
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at", "id"]

    def scoped_queryset(self):
        return selectors.notification_list(user=self.request.user)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        notification_mark_read(user=request.user, notification_id=notification.pk)
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: MarkedReadSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": notification_mark_read(user=request.user)})
