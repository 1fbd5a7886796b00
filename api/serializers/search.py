"""The search's answer (``GET /api/v1/search/``): the web search page's, as data."""

from __future__ import annotations

import html

from django.urls import reverse
from django.utils.html import strip_tags
from rest_framework import serializers

from search.selectors import CAP


class SearchHitSerializer(serializers.Serializer):
    type = serializers.CharField(source="kind", help_text="review, document, rfi or finding")
    id = serializers.IntegerField(source="pk", help_text="The object's id: GET /api/v1/<type>s/<id>/ (reviews/, documents/, rfis/, findings/).")
    title = serializers.CharField()
    review = serializers.IntegerField(source="review.pk", help_text="The review it belongs to (a review's own id for a review).")
    url = serializers.SerializerMethodField(help_text="The page of it in the portal.")
    api_url = serializers.SerializerMethodField(help_text="It in this API.")
    snippet = serializers.SerializerMethodField(help_text="Where the words matched, as plain text.")
    snippet_html = serializers.CharField(source="snippet", help_text="The same, HTML-escaped, with the matched words in <mark>.")
    detail = serializers.CharField(help_text="What the web page shows under the title: kind, status, marking …")
    created_at = serializers.DateTimeField(source="at")

    def get_url(self, hit) -> str:
        return self.context["request"].build_absolute_uri(hit.url)

    def get_api_url(self, hit) -> str:
        return self.context["request"].build_absolute_uri(reverse(f"api:{hit.kind}-detail", kwargs={"pk": hit.pk}))

    def get_snippet(self, hit) -> str:
        return html.unescape(strip_tags(str(hit.snippet)))


class SearchSectionSerializer(serializers.Serializer):
    type = serializers.CharField(source="kind")
    label = serializers.CharField()
    count = serializers.SerializerMethodField(help_text=f"How many match, at most {CAP} (see more).")
    more = serializers.BooleanField(source="capped", help_text=f"More than {CAP} match: add words or filters.")
    results = SearchHitSerializer(source="hits", many=True)

    def get_count(self, section) -> int:
        return min(section.count, CAP)


class SearchResultsSerializer(serializers.Serializer):
    query = serializers.CharField(help_text="What was searched for, as read.")
    unsearchable = serializers.BooleanField(help_text="Nothing found, and nothing could be: only words as common as 'the', or punctuation.")
    page = serializers.IntegerField(help_text="With a type: the page of 50 (1 or 2); otherwise 1 (10 of each type).")
    next_page = serializers.IntegerField(allow_null=True, help_text="The next page's number, or null.")
    next = serializers.URLField(allow_null=True, help_text="The next page's address, or null (as the API's lists give it).")
    previous = serializers.URLField(allow_null=True, help_text="The previous page's address, or null.")
    sections = SearchSectionSerializer(many=True)
