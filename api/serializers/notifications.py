from rest_framework import serializers

from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "verb", "title", "body", "url", "created_at", "read_at", "escalation"]


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
