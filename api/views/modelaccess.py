"""Model access on the API: liaisons describe endpoints and issue and revoke
credentials (automation with a token); everyone on a review reads the endpoints
and the credentials' status their standing shows. No endpoint returns a secret,
and none reveals one: reviewers reveal in the browser, after step-up."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from modelaccess import services
from modelaccess.models import AccessEndpoint, Credential
from reviews.selectors import standing_get

from .. import selectors
from ..filters import AccessEndpointFilter, CredentialFilter
from ..serializers.modelaccess import (
    AccessEndpointCreateSerializer,
    AccessEndpointSerializer,
    CredentialIssueSerializer,
    CredentialRevokeSerializer,
    CredentialSerializer,
)
from .base import MaterialViewSet


class AccessEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MaterialViewSet):
    """How to reach the model under review; the company's liaisons describe them."""

    queryset = AccessEndpoint.objects.none()
    serializer_class = AccessEndpointSerializer
    filterset_class = AccessEndpointFilter
    ordering_fields = ["created_at", "id"]
    selector = selectors.access_endpoint_list

    @extend_schema(request=AccessEndpointCreateSerializer, responses={201: AccessEndpointSerializer})
    def create(self, request):
        serializer = AccessEndpointCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        review = data.pop("review")
        standing_get(user=request.user, review=review).require_material()
        endpoint = services.endpoint_create(review_id=review.pk, actor=request.user, **data)
        return Response(AccessEndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class CredentialViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MaterialViewSet):
    """Reviewers' credentials, status only (never the secret): the company sees every
    one of its reviews' by pseudonym, an agency lead their agency's, a reviewer their own.
    Liaisons issue (the secret is write-only, encrypted at once) and revoke."""

    queryset = Credential.objects.none()
    serializer_class = CredentialSerializer
    filterset_class = CredentialFilter
    ordering_fields = ["issued_at", "id"]
    selector = selectors.credential_list

    @extend_schema(request=CredentialIssueSerializer, responses={201: CredentialSerializer})
    def create(self, request):
        serializer = CredentialIssueSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        review = data.pop("review")
        standing_get(user=request.user, review=review).require_material()
        credential = services.credential_issue(
            review_id=review.pk, actor=request.user, endpoint_id=data["endpoint"], pseudonym=data["reviewer"],
            kind=data["kind"], secret=data["secret"], username=data["username"],
        )
        credential = selectors.credential_list(user=request.user, material=False).get(pk=credential.pk)
        return Response(CredentialSerializer(credential).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CredentialRevokeSerializer, responses={200: CredentialSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """The company's liaisons revoke a live credential."""
        credential = self.get_object()
        if not self.standing.is_company:
            raise PermissionDenied("Only the company's liaisons revoke credentials.")
        serializer = CredentialRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.credential_revoke(credential_id=credential.pk, actor=request.user, reason=serializer.validated_data["reason"])
        return Response(CredentialSerializer(selectors.credential_list(user=request.user, material=False).get(pk=credential.pk)).data)
