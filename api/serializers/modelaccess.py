"""Model access on the API: endpoints, and credentials' *status* only.

No serializer here has a field that reads a secret: the API never returns
one (reviewers reveal theirs in the browser, after step-up). The issuing
serializer takes the secret write-only and the service encrypts it at once."""

from rest_framework import serializers

from modelaccess.models import AccessEndpoint, Credential, CredentialKind, EndpointKind
from reviews.models import Review

from .base import MULTI_LINE, SingleLineField, StrictSerializer


class AccessEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessEndpoint
        fields = [
            "id", "review", "name", "kind", "url", "instructions", "rate_limits", "available_from", "available_until",
            "created_at",
        ]


class _VisibleReview(StrictSerializer):
    review = serializers.PrimaryKeyRelatedField(queryset=Review.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["review"].queryset = Review.objects.visible_to(request.user)


class AccessEndpointCreateSerializer(_VisibleReview):
    name = SingleLineField(max_length=200)
    kind = serializers.ChoiceField(choices=EndpointKind.choices)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    instructions = serializers.CharField(style=MULTI_LINE, required=False, allow_blank=True, default="")
    rate_limits = SingleLineField(max_length=300, required=False, allow_blank=True, default="")
    available_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    available_until = serializers.DateTimeField(required=False, allow_null=True, default=None)


class CredentialSerializer(serializers.ModelSerializer):
    """A credential's status; the reviewer by pseudonym ("NSA reviewer 2")."""

    reviewer = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    status_detail = serializers.SerializerMethodField()

    class Meta:
        model = Credential
        fields = [
            "id", "review", "endpoint", "reviewer", "kind", "status", "status_detail", "issued_at", "revealed_at",
            "revoked_at", "ended_at", "rotated_at",
        ]

    def _state(self, credential) -> tuple[str, str]:
        from modelaccess.rules import review_facts
        from modelaccess.selectors import credential_state

        cache = self.context.setdefault("facts", {})
        if credential.review_id not in cache:
            cache[credential.review_id] = review_facts(credential.review)
        state, detail, _ = credential_state(credential, cache[credential.review_id])
        return state, detail

    def get_reviewer(self, credential) -> str:
        from reviews.pseudonyms import reviewer_pseudonyms

        cache = self.context.setdefault("pseudonyms", {})
        if credential.review_id not in cache:
            cache[credential.review_id] = reviewer_pseudonyms(review_id=credential.review_id)
        return cache[credential.review_id].get(credential.reviewer_id, "")

    def get_status(self, credential) -> str:
        """set_up, waiting, revealed, to_rotate, rotated or revoked."""
        return self._state(credential)[0]

    def get_status_detail(self, credential) -> str:
        return self._state(credential)[1]


class CredentialIssueSerializer(_VisibleReview):
    endpoint = serializers.IntegerField(min_value=1, max_value=10**18 - 1)
    reviewer = SingleLineField(max_length=100, help_text="The reviewer's pseudonym on the review, e.g. “NSA reviewer 2”.")
    kind = serializers.ChoiceField(choices=CredentialKind.choices, help_text="api_key, token or password (files are issued on the page).")
    secret = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password", **MULTI_LINE})
    username = SingleLineField(max_length=200, required=False, allow_blank=True, default="")

    def validate_kind(self, value):
        if value == CredentialKind.FILE:
            raise serializers.ValidationError("File credentials are issued on the review's model access page.", code="invalid")
        return value


class CredentialRevokeSerializer(StrictSerializer):
    reason = SingleLineField(max_length=300, required=False, allow_blank=True, default="")
