"""The lists' sortable headings, page links and "Showing …" line are Python
tags (portal/list_tags.py): each must draw what the templates it replaced
drew, byte for byte — for any order, page, page count and query string,
escaping included — and keep the links' behaviour: the other parameters
kept, the page dropped when the order changes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.paginator import Paginator
from django.template import Context, RequestContext, Template
from django.test import RequestFactory

# The templates the tags replaced (templates/includes/ before), as they were.
SORT_TH = '{% comment %}A sortable column header: key is the ?sort= value, label its text.{% endcomment %}{% with desc="-"|add:key %}<th scope="col"{% if sort == key %} aria-sort="ascending"{% elif sort == desc %} aria-sort="descending"{% endif %}{% if class %} class="{{ class }}"{% endif %}>\n  <a class="sort-link" href="{% if sort == key %}{% querystring sort=desc page=None %}{% else %}{% querystring sort=key page=None %}{% endif %}">{{ label }}<span class="sort-icon" aria-hidden="true">{% if sort == key %}&#9650;{% elif sort == desc %}&#9660;{% else %}&#8597;{% endif %}</span><span class="visually-hidden">{% if sort == key %} (sorted ascending; select to sort descending){% elif sort == desc %} (sorted descending; select to sort ascending){% else %} (select to sort){% endif %}</span></a>\n</th>{% endwith %}\n'
PAGINATION = '{% comment %}Page links that keep the other query parameters (sort, filters, per_page).{% endcomment %}{% if page.paginator.num_pages > 1 %}\n<nav class="pagination" aria-label="{{ label|default:\'Pages\' }}">\n  <ul>\n    {% if page.has_previous %}\n      <li><a href="{% querystring page=page.previous_page_number %}" rel="prev">&lsaquo; Previous<span class="visually-hidden"> page</span></a></li>\n    {% else %}\n      <li><span class="disabled" aria-hidden="true">&lsaquo; Previous</span></li>\n    {% endif %}\n    {% for i in page.elided_range %}\n      {% if i == page.number %}\n        <li><span class="current" aria-current="page"><span class="visually-hidden">Page </span>{{ i }}</span></li>\n      {% elif i == page.paginator.ELLIPSIS %}\n        <li><span class="gap" aria-hidden="true">&hellip;</span></li>\n      {% else %}\n        <li><a href="{% querystring page=i %}"><span class="visually-hidden">Page </span>{{ i }}</a></li>\n      {% endif %}\n    {% endfor %}\n    {% if page.has_next %}\n      <li><a href="{% querystring page=page.next_page_number %}" rel="next">Next<span class="visually-hidden"> page</span> &rsaquo;</a></li>\n    {% else %}\n      <li><span class="disabled" aria-hidden="true">Next &rsaquo;</span></li>\n    {% endif %}\n  </ul>\n</nav>\n{% endif %}\n'
LIST_META = '{% comment %}"Showing 1–25 of 80 reviews" and the rows-per-page choice (a GET form that keeps the other parameters).{% endcomment %}\n<div class="list-meta">\n  <p class="small" role="status">{% if page.paginator.count %}Showing <strong>{{ page.start_index }}&ndash;{{ page.end_index }}</strong> of <strong>{{ page.paginator.count }}</strong> {{ noun|default:"items" }}{% else %}No {{ noun|default:"items" }}{% endif %}</p>\n  {% if page.paginator.count > 10 %}\n  <form class="per-page" method="get" action="">\n    {% for key, value in request.GET.items %}{% if key != "per_page" and key != "page" %}<input type="hidden" name="{{ key }}" value="{{ value }}">{% endif %}{% endfor %}\n    <label for="{{ id|default:\'per-page\' }}">Rows per page</label>\n    <select id="{{ id|default:\'per-page\' }}" name="per_page" data-autosubmit>\n      <option value="10"{% if page.paginator.per_page == 10 %} selected{% endif %}>10</option>\n      <option value="25"{% if page.paginator.per_page == 25 %} selected{% endif %}>25</option>\n      <option value="50"{% if page.paginator.per_page == 50 %} selected{% endif %}>50</option>\n      <option value="100"{% if page.paginator.per_page == 100 %} selected{% endif %}>100</option>\n    </select>\n    <button type="submit" class="btn btn-secondary btn-sm">Show</button>\n  </form>\n  {% endif %}\n</div>\n'

QUERIES = ["", "page=3", "sort=-model&page=2", "q=a%3Cb%3E%26%22c&status=in_review", "per_page=10&page=9&x=1&x=2", "sort=status&per_page=100"]


def _request(query: str):
    return RequestFactory().get("/reviews/?" + query if query else "/reviews/")


def _old(source: str, request, **values) -> str:
    return Template(source).render(RequestContext(request, values))


def _new(tag: str, request, **values) -> str:
    return Template("{% load list_ui %}" + tag).render(RequestContext(request, values))


def _page(total: int, number: int, size: int = 25):
    page = Paginator(range(total), size).get_page(number)
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


@pytest.mark.parametrize("query", QUERIES)
def test_a_sortable_heading_draws_as_its_template_did(query):
    request = _request(query)
    for sort in (None, "model", "-model", "status", "deadline", "-deadline"):
        for key, label in (("model", "Model"), ("status", "Review <status> & co"), ("deadline", "Window ends")):
            assert _new("{% sort_th key label %}", request, sort=sort, key=key, label=label) == _old(
                SORT_TH, request, sort=sort, key=key, label=label
            )
        assert _new('{% sort_th "model" "Model" css_class=c %}', request, sort=sort, c='x"y') == _old(
            SORT_TH, request, sort=sort, key="model", label="Model", **{"class": 'x"y'}
        )


@pytest.mark.parametrize("query", QUERIES)
def test_page_links_draw_as_their_template_did(query):
    request = _request(query)
    for total, size in ((0, 25), (5, 25), (25, 25), (26, 25), (80, 10), (100_000, 25)):
        pages = Paginator(range(total), size).num_pages
        for number in sorted({1, 2, 3, pages // 2, pages - 1, pages} - {0}):
            page = _page(total, number, size)
            for label in ("", "Review <pages>"):
                assert _new("{% pagination page label %}", request, page=page, label=label) == _old(
                    PAGINATION, request, page=page, label=label
                ), (total, size, number)


@pytest.mark.parametrize("query", QUERIES)
def test_the_showing_line_and_rows_per_page_draw_as_their_template_did(query):
    request = _request(query)
    for total, size, number in ((0, 25, 1), (7, 25, 1), (10, 10, 1), (11, 10, 2), (80, 25, 4), (100_000, 100, 17)):
        page = _page(total, number, size)
        for noun in ("", "reviews", "<events>"):
            assert _new("{% list_meta page noun %}", request, page=page, noun=noun) == _old(
                LIST_META, request, page=page, noun=noun
            )
        assert _new('{% list_meta page "reviews" select_id="rows" %}', request, page=page) == _old(
            LIST_META, request, page=page, noun="reviews", id="rows"
        )


def _links(html: str) -> list[dict]:
    import re

    return [parse_qs(urlsplit(href.replace("&amp;", "&")).query) for href in re.findall(r'href="([^"]*)"', html)]


def test_a_heading_link_keeps_the_filters_drops_the_page_and_reverses_the_order():
    request = _request("status=in_review&q=atlas&page=4&per_page=50")
    ascending = _new('{% sort_th "model" "Model" %}', request, sort="model")
    assert 'aria-sort="ascending"' in ascending
    assert _links(ascending) == [{"status": ["in_review"], "q": ["atlas"], "per_page": ["50"], "sort": ["-model"]}]
    other = _new('{% sort_th "status" "Status" %}', request, sort="model")
    assert "aria-sort" not in other
    assert _links(other) == [{"status": ["in_review"], "q": ["atlas"], "per_page": ["50"], "sort": ["status"]}]
    descending = _new('{% sort_th "model" "Model" %}', request, sort="-model")
    assert 'aria-sort="descending"' in descending and _links(descending)[0]["sort"] == ["model"]


def test_page_links_keep_every_other_parameter_and_escape_them():
    request = _request("sort=-created&q=%3Cscript%3E&per_page=10")
    html = _new("{% pagination page 'Review pages' %}", request, page=_page(1000, 50, 10))
    assert "<script>" not in html
    links = _links(html)
    assert [link["page"] for link in links] == [["49"], ["1"], ["48"], ["49"], ["51"], ["52"], ["100"], ["51"]]
    assert all(link["sort"] == ["-created"] and link["q"] == ["<script>"] and link["per_page"] == ["10"] for link in links)
    assert 'aria-current="page"><span class="visually-hidden">Page </span>50<' in html
    assert _new("{% pagination page %}", request, page=_page(10, 1, 10)).strip() == ""


def test_the_rows_per_page_form_keeps_the_filters_but_not_the_page():
    request = _request("status=submitted&page=3&per_page=25&q=%22x%22")
    html = _new("{% list_meta page 'reviews' %}", request, page=_page(80, 3))
    assert "Showing <strong>51&ndash;75</strong> of <strong>80</strong> reviews" in html
    assert '<input type="hidden" name="status" value="submitted"><input type="hidden" name="q" value="&quot;x&quot;">' in html
    assert 'name="page"' not in html and '<option value="25" selected>' in html
    assert "<form" not in _new("{% list_meta page 'reviews' %}", request, page=_page(10, 1))


def test_no_request_in_the_context_draws_links_without_parameters():
    page = _page(80, 2)
    html = Template("{% load list_ui %}{% pagination page %}{% sort_th 'model' 'Model' %}").render(Context({"page": page}))
    assert 'href="?page=1"' in html and 'href="?sort=model"' in html
