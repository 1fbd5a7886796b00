from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from reviews.selectors import standing_get
from rfis import services as rfi_services
from rfis.models import InformationRequest

from .. import selectors
from ..filters import RfiFilter
from ..serializers.rfis import RfiAnswerSerializer, RfiCreateSerializer, RfiDetailSerializer, RfiSerializer
from .base import MaterialViewSet


class RfiViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MaterialViewSet):
    """Information requests: the agencies ask, the company's liaisons answer."""

    queryset = InformationRequest.objects.none()  # for the schema; requests use scoped_queryset()
    serializer_class = RfiSerializer
    filterset_class = RfiFilter
    ordering_fields = ["due_at", "created_at", "status", "id"]
    selector = selectors.rfi_list

    def scoped_queryset(self):
        qs = super().scoped_queryset()
        return qs.prefetch_related(selectors.rfi_messages()) if self.action == "retrieve" else qs

    def get_serializer_class(self):
        return RfiDetailSerializer if self.action == "retrieve" else RfiSerializer

    def _detail(self, pk: int):
        rfi = selectors.rfi_list(user=self.request.user, material=False).prefetch_related(selectors.rfi_messages()).get(pk=pk)
        return Response(RfiDetailSerializer(rfi).data)

    @extend_schema(request=RfiCreateSerializer, responses={201: RfiDetailSerializer})
    def create(self, request):
        """Asks the company (participating leads and accepted reviewers, while the review is under way)."""
        serializer = RfiCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        review = data.pop("review")
        standing_get(user=request.user, review=review).require_material()
        rfi = rfi_services.rfi_create(review_id=review.pk, actor=request.user, **data)
        response = self._detail(rfi.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=RfiAnswerSerializer, responses={200: RfiDetailSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """The company's liaisons answer an open request."""
        rfi = self.get_object()
        if not self.standing.may_answer_rfi:
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("Only the company's liaisons answer information requests.")
        serializer = RfiAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rfi_services.rfi_answer(rfi_id=rfi.pk, actor=request.user, body=serializer.validated_data["body"])
        return self._detail(rfi.pk)

    @extend_schema(request=None, responses={200: RfiDetailSerializer})
    @action(detail=True, methods=["post"])
    def follow(self, request, pk=None):
        """The caller's agency follows another agency's shared question instead of asking it again
        (participating leads and accepted reviewers); it then sees the answer."""
        rfi = self.get_object()
        if not self.standing.may_ask:
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("Only the review's participating leads and accepted reviewers follow questions.")
        rfi_services.rfi_follow(rfi_id=rfi.pk, actor=request.user)
        return self._detail(rfi.pk)
