from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from agencies.models import Agency
from companies.services import aimodel_create

from companies.models import AIModel, Company
from .. import selectors
from ..filters import ModelFilter
from ..serializers.organisations import AgencySerializer, AIModelCreateSerializer, AIModelSerializer, CompanySerializer
from .base import PortalViewSet


class AgencyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PortalViewSet):
    """The agencies (every member sees them: liaisons choose them for a review)."""

    queryset = Agency.objects.none()  # for the schema; requests use scoped_queryset()
    serializer_class = AgencySerializer
    ordering_fields = ["acronym", "name", "id"]

    def scoped_queryset(self):
        return Agency.objects.order_by("acronym", "id")


class CompanyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PortalViewSet):
    """Companies: a liaison sees their own; agency users only those whose reviews they see."""

    queryset = Company.objects.none()  # for the schema; requests use scoped_queryset()
    serializer_class = CompanySerializer
    ordering_fields = ["name", "id"]

    def scoped_queryset(self):
        return selectors.company_list(user=self.request.user)


class AIModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, PortalViewSet):
    """AI models, with a review's visibility; a company liaison registers their company's models."""

    queryset = AIModel.objects.none()  # for the schema; requests use scoped_queryset()
    serializer_class = AIModelSerializer
    filterset_class = ModelFilter
    ordering_fields = ["name", "created_at", "planned_release_date", "id"]

    def scoped_queryset(self):
        return selectors.model_list(user=self.request.user)

    @extend_schema(request=AIModelCreateSerializer, responses={201: AIModelSerializer})
    def create(self, request, *args, **kwargs):
        serializer = AIModelCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        user = request.user
        if not user.is_company_liaison:
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("Only company liaisons register models, for their own company.")
        from companies.models import Company

        company = get_object_or_404(Company, pk=user.company_id)
        model = aimodel_create(actor=user, company=company, **serializer.validated_data)
        return Response(AIModelSerializer(model).data, status=status.HTTP_201_CREATED)
