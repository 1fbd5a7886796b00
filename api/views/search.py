"""``GET /api/v1/search/``: the web search (search.selectors.search) for scripts."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import APIView

from search import selectors, services
from search.forms import PAGES, SearchForm
from search.models import SearchRecord

from ..exceptions import form_refused
from ..serializers.search import SearchResultsSerializer

_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, required=True, description='Words (all must match), a "quoted phrase", word* for the start of a word, -word, or.'),
    OpenApiParameter("type", OpenApiTypes.STR, enum=list(selectors.KINDS), description="One type only: its results in pages of 50."),
    OpenApiParameter("review", OpenApiTypes.INT, description="Only this review's."),
    OpenApiParameter("agency", OpenApiTypes.INT, description="Only reviews this agency takes part in."),
    OpenApiParameter("company", OpenApiTypes.INT, description="Only this company's reviews."),
    OpenApiParameter("marking", OpenApiTypes.INT, description="Documents of this handling marking."),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="Made on or after this day (the caller's time zone)."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Made on or before this day."),
    OpenApiParameter("page", OpenApiTypes.INT, description=f"With a type: 1 to {PAGES}."),
]


class SearchView(APIView):
    """Everything the caller may see that matches, as the web search page finds
    it: the same scope (a result, a count or a snippet of nothing else), the
    same ranking and filters. Without a type, each type's first 10; with one,
    pages of 50 over its first 100."""

    @extend_schema(parameters=_PARAMETERS, responses={200: SearchResultsSerializer})
    def get(self, request):
        form = SearchForm(request.query_params)
        if not form.is_valid():
            raise form_refused(form)
        text = form.cleaned_data["q"]
        if not text:
            raise exceptions.ValidationError({"q": [ErrorDetail("Say what to search for.", code="required")]})
        filters = form.filters()
        limit, offset = form.window()
        results = selectors.search(user=request.user, text=text, filters=filters, limit=limit, offset=offset)
        pages = form.pages(results) or {"number": 1, "next": None, "previous": None}

        def address(page: int | None) -> str | None:
            if page is None:
                return None
            params = request.query_params.copy()
            params["page"] = str(page)
            return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

        data = {"query": results.query.raw, "unsearchable": results.unsearchable, "page": pages["number"],
                "next_page": pages["next"], "next": address(pages["next"]), "previous": address(pages["previous"]),
                "sections": results.sections}
        body = SearchResultsSerializer(data, context={"request": request}).data
        # Serialized, so recorded before it is sent (search.services.search_record): a failure
        # before this records nothing, and a record refused sends nothing.
        services.search_record(user=request.user, results=results, filters=form.chosen(), via=SearchRecord.VIA_API)
        return Response(body)
