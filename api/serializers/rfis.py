from rest_framework import serializers

from reviews.models import Review
from rfis.models import Category, InformationRequest, RfiMessage

from .base import MULTI_LINE, SingleLineField, StrictSerializer


class RfiMessageSerializer(serializers.ModelSerializer):
    """A thread entry; the organisation speaks, never the person (companies never learn who asked)."""

    organisation = serializers.SerializerMethodField()
    attachments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = RfiMessage
        fields = ["id", "side", "kind", "organisation", "body", "created_at", "attachments"]

    def get_organisation(self, message) -> str:
        if message.side == "company":
            return message.rfi.review.company.name
        membership = getattr(message.author, "membership", None)
        return membership.agency.acronym if membership and membership.agency else "Program office"


class RfiSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.acronym", read_only=True)
    asked_by_agencies = serializers.ListField(
        source="asking_acronyms", child=serializers.CharField(), read_only=True,
        help_text="The asking agency, then every agency that followed the question.",
    )
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = InformationRequest
        fields = [
            "id", "review", "agency", "asked_by_agencies", "subject", "question", "category", "private", "due_at", "blocking",
            "status", "is_overdue", "created_at", "answered_at", "closed_at",
        ]


class RfiDetailSerializer(RfiSerializer):
    messages = RfiMessageSerializer(many=True, read_only=True)

    class Meta(RfiSerializer.Meta):
        fields = [*RfiSerializer.Meta.fields, "messages"]


class RfiCreateSerializer(StrictSerializer):
    review = serializers.PrimaryKeyRelatedField(queryset=Review.objects.none())
    subject = SingleLineField(max_length=200)
    question = serializers.CharField(style=MULTI_LINE)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    blocking = serializers.BooleanField(required=False, default=False)
    private = serializers.BooleanField(required=False, default=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False, default=Category.OTHER)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["review"].queryset = Review.objects.visible_to(request.user)


class RfiAnswerSerializer(StrictSerializer):
    body = serializers.CharField(style=MULTI_LINE)
