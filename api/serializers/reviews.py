from rest_framework import serializers

from agencies.models import Agency
from companies.models import AIModel
from reviews.models import Review

from .base import MULTI_LINE, StrictSerializer


class ReviewSerializer(serializers.ModelSerializer):
    model_name = serializers.CharField(source="model.name", read_only=True)
    model_version = serializers.CharField(source="model.version", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)
    agencies = serializers.SlugRelatedField(many=True, read_only=True, slug_field="acronym")

    class Meta:
        model = Review
        fields = [
            "id", "model", "model_name", "model_version", "company", "company_name", "agencies", "status", "summary", "created_at",
            "submitted_at", "window_start", "window_end", "closed_at", "withdrawn_at", "withdrawal_reason",
            "outcome_summary", "recommendations", "access_terms_version",
        ]


class ReviewCreateSerializer(StrictSerializer):
    model = serializers.PrimaryKeyRelatedField(queryset=AIModel.objects.none())
    agencies = serializers.PrimaryKeyRelatedField(many=True, queryset=Agency.objects.all())
    summary = serializers.CharField(required=False, allow_blank=True, default="", style=MULTI_LINE)
    access_terms = serializers.CharField(required=False, allow_blank=True, default="", style=MULTI_LINE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only models the caller can see; anything else reads as "does not exist".
            self.fields["model"].queryset = AIModel.objects.visible_to(request.user)


class ReviewSubmitSerializer(StrictSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", style=MULTI_LINE)


class ReviewWithdrawSerializer(StrictSerializer):
    reason = serializers.CharField(allow_blank=True, style=MULTI_LINE)


class TermsAcceptedSerializer(serializers.Serializer):
    review = serializers.IntegerField()
    version = serializers.IntegerField()
    accepted_at = serializers.DateTimeField()
