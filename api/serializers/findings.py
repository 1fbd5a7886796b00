from rest_framework import serializers

from findings.models import Finding


class FindingSerializer(serializers.ModelSerializer):
    """A finding as its reader may see it: the agency, never the author."""

    agency = serializers.CharField(source="agency.acronym", read_only=True)
    category = serializers.CharField(source="category.name", read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id", "review", "agency", "title", "category", "severity", "description", "evidence", "sharing", "shared_at",
            "created_at",
        ]
