from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from drf_spectacular.types import OpenApiTypes
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from reviews import services, workflow
from reviews.models import Review
from reviews.selectors import standing_get

from .. import selectors
from ..filters import ReviewFilter
from ..serializers.reviews import (
    ReviewCreateSerializer,
    ReviewSerializer,
    ReviewSubmitSerializer,
    ReviewWithdrawSerializer,
    TermsAcceptedSerializer,
)
from .base import PortalViewSet


class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PortalViewSet):
    """Reviews in the caller's scope; company liaisons draft, submit and withdraw."""

    queryset = Review.objects.none()  # for the schema; requests use scoped_queryset()
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = ["window_end", "created_at", "submitted_at", "status", "id"]

    def scoped_queryset(self):
        if self.action != "list" and self.kwargs.get("pk", "").isdigit():
            # A detail asks about one review only (cheap whatever the user sees).
            return Review.objects.visible_to(self.request.user, among=[int(self.kwargs["pk"])]).select_related(
                "model", "company"
            ).prefetch_related("agencies")
        return selectors.review_list(user=self.request.user)

    def _fresh(self, pk: int):
        return Response(ReviewSerializer(selectors.review_list(user=self.request.user).get(pk=pk)).data)

    @extend_schema(request=ReviewCreateSerializer, responses={201: ReviewSerializer})
    def create(self, request):
        serializer = ReviewCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        review = services.review_create(
            actor=request.user, model=data["model"], agencies=list(data["agencies"]), summary=data["summary"],
            access_terms=data["access_terms"],
        )
        response = self._fresh(review.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    def _transition(self, name: str, serializer_class, call):
        """Scope (404), then who may (403), then the body (400), then the service (400 on a refused move)."""
        review = self.get_object()
        if not workflow.TRANSITIONS[name].allowed(standing_get(user=self.request.user, review=review)):
            raise PermissionDenied(f"Only {workflow.TRANSITIONS[name].who} may do this.")
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        call(review, serializer.validated_data)
        return self._fresh(review.pk)

    @extend_schema(request=ReviewSubmitSerializer, responses={200: ReviewSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(
            "submit",
            ReviewSubmitSerializer,
            lambda review, data: services.review_submit(review_id=review.pk, actor=request.user, comment=data["comment"]),
        )

    @extend_schema(request=ReviewWithdrawSerializer, responses={200: ReviewSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._transition(
            "withdraw",
            ReviewWithdrawSerializer,
            lambda review, data: services.review_withdraw(review_id=review.pk, actor=request.user, reason=data["reason"]),
        )

    @extend_schema(
        request=None,
        responses={200: OpenApiTypes.OBJECT},
        description="Every object of the review the caller may see, as the versioned JSON export "
        "(schema: /exports/schema/review-export-1.schema.json). Recorded in the audit trail.",
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The review's JSON export, cut to the caller (the same document as the web download)."""
        from reviews import hooks
        from reviews.models import ReviewStatus

        review = self.get_object()
        standing_get(user=request.user, review=review).require_material()
        if review.status not in (ReviewStatus.IN_REVIEW, ReviewStatus.CLOSED):
            raise NotFound("Exports exist once the review is in review.")
        return Response(hooks.provided("review_export_json")(review=review, user=request.user))

    @extend_schema(request=None, responses={200: TermsAcceptedSerializer})
    @action(detail=True, methods=["post"], url_path="accept-terms")
    def accept_terms(self, request, pk=None):
        """Accepts the review's current access terms (agency users need this before its material opens)."""
        review = self.get_object()
        acceptance = services.terms_accept(review=review, user=request.user)
        return Response({"review": review.pk, "version": acceptance.version, "accepted_at": acceptance.accepted_at})
