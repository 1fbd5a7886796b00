from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from notifications.services import notification_mark_read

from findings.models import Finding
from notifications.models import Notification
from .. import selectors
from ..filters import FindingFilter, NotificationFilter
from ..serializers.findings import FindingSerializer
from ..serializers.notifications import MarkedReadSerializer, NotificationSerializer
from .base import MaterialViewSet, PortalViewSet


class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MaterialViewSet):
    """Findings within each role's visibility (internal ones stay in their agency; companies see shared ones)."""

    queryset = Finding.objects.none()  # for the schema; requests use scoped_queryset()
    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    ordering_fields = ["created_at", "severity", "id"]
    selector = selectors.finding_list


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
