"""The search's answer (``GET /api/v1/search/``): the web search page's, as data."""

from __future__ import annotations

import html

from django.http import QueryDict
from django.urls import reverse
from django.utils.html import strip_tags
from rest_framework import serializers

from search.query import MAX_LENGTH
from search.selectors import CAP, KINDS, saved_search_url

from .base import SingleLineField, StrictSerializer


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
    text_page = serializers.IntegerField(
        allow_null=True, help_text="The page of the PDF the snippet is on (a document's text, a finding's evidence file), or null.",
    )
    text_page_url = serializers.SerializerMethodField(
        help_text="Opens that page of the PDF in the browser (a document version's or an evidence file's inline view with ?page=N, which goes on to #page=N), or null.",
    )
    text_find_url = serializers.SerializerMethodField(
        help_text="A document found on a page of its PDF's text: its find page, every page that holds the same words (web), or null.",
    )
    created_at = serializers.DateTimeField(source="at")

    def get_text_page_url(self, hit) -> str | None:
        return self.context["request"].build_absolute_uri(hit.page_url) if hit.page_url else None

    def get_text_find_url(self, hit) -> str | None:
        return self.context["request"].build_absolute_uri(hit.find_url) if hit.find_url else None

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


class SavedSearchSerializer(serializers.Serializer):
    """One of the caller's saved searches."""

    id = serializers.IntegerField()
    q = serializers.CharField(source="text", help_text="The words searched for.")
    filters = serializers.SerializerMethodField(help_text="The filters set, by name, as GET /api/v1/search/ takes them.")
    alert = serializers.BooleanField(help_text="Whether the caller is told (notifications, e-mail by preference) of new matches.")
    created_at = serializers.DateTimeField()
    alerted_at = serializers.DateTimeField(allow_null=True, help_text="When the caller was last told of new matches.")
    search = serializers.SerializerMethodField(help_text="The search in this API: GET it for the results.")
    url = serializers.SerializerMethodField(help_text="The search page in the portal.")

    def get_filters(self, saved) -> dict[str, str]:
        return dict(QueryDict(saved.params).items())

    def get_search(self, saved) -> str:
        return self.context["request"].build_absolute_uri(f"{reverse('api:search')}?{saved_search_url(saved).partition('?')[2]}")

    def get_url(self, saved) -> str:
        return self.context["request"].build_absolute_uri(saved_search_url(saved))


class SavedSearchCreateSerializer(StrictSerializer):
    """A search to keep: the words and filters GET /api/v1/search/ takes (then
    checked by the search page's own form, so a saved search is the page's)."""

    q = SingleLineField(max_length=MAX_LENGTH, help_text="The words to search for.")
    type = serializers.ChoiceField(choices=list(KINDS), required=False)
    review = serializers.IntegerField(required=False, min_value=1)
    agency = serializers.IntegerField(required=False, min_value=1)
    company = serializers.IntegerField(required=False, min_value=1)
    marking = serializers.IntegerField(required=False, min_value=1)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    alert = serializers.BooleanField(required=False, default=True, help_text="Be told of new matches (default true).")


class SavedSearchAlertSerializer(StrictSerializer):
    alert = serializers.BooleanField(help_text="Alerts on (true) or off (false).")
