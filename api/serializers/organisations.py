from rest_framework import serializers

from agencies.models import Agency
from companies.models import AIModel, Company, Modality

from .base import MULTI_LINE, SingleLineField, StrictSerializer


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "acronym", "name"]


class CompanySerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "name", "slug"]


class AIModelSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.name", read_only=True)

    class Meta:
        model = AIModel
        fields = [
            "id", "company", "company_name", "name", "version", "modality", "capability_summary",
            "planned_release_date", "created_at",
        ]


class AIModelCreateSerializer(StrictSerializer):
    name = SingleLineField(max_length=120)
    version = SingleLineField(max_length=60, required=False, allow_blank=True, default="")
    modality = serializers.ChoiceField(choices=Modality.choices, required=False, default=Modality.TEXT)
    capability_summary = serializers.CharField(required=False, allow_blank=True, default="", style=MULTI_LINE)
    planned_release_date = serializers.DateField(required=False, allow_null=True, default=None)
