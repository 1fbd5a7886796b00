"""The lists' sortable column headings, page links and "Showing 1–25 of …"
line as Python tags (the ``list_ui`` template library: TEMPLATES'
``libraries``).

Every list page and dashboard draws them. As included templates they cost
~0.6 ms a page (a sortable heading ~0.06 ms, each an include with two
``{% querystring %}``; the page links one per link shown), about a tenth
of that here. The markup is the one the templates drew, byte for byte
(portal/tests/test_list_tags.py renders both): change it here.

Every link keeps the request's other query parameters (filters, order,
rows per page), as ``{% querystring %}`` does; the page number is dropped
when the order changes."""

from __future__ import annotations

from django import template
from django.http import QueryDict
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

register = template.Library()


def _query(params, **changes) -> str:
    """``?`` and ``params`` (a QueryDict) with ``changes`` (None: removed),
    escaped for an attribute: what ``{% querystring %}`` gives."""
    params = QueryDict(mutable=True) if params is None else params.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return escape(f"?{params.urlencode()}")


def _get(context):
    request = context.get("request")
    return request.GET if request is not None else None


@register.simple_tag(takes_context=True)
def sort_th(context, key: str, label: str, css_class: str = ""):
    """A sortable column heading: ``key`` is its ``?sort=`` value (``-key``
    descending), ``label`` its text; the context's ``sort`` is the list's
    order. Its link sorts by the column (or reverses it) from the first page."""
    sort, desc = context.get("sort"), f"-{key}"
    params = _get(context)
    if sort == key:
        aria, target, icon, hint = ' aria-sort="ascending"', desc, "&#9650;", " (sorted ascending; select to sort descending)"
    elif sort == desc:
        aria, target, icon, hint = ' aria-sort="descending"', key, "&#9660;", " (sorted descending; select to sort ascending)"
    else:
        aria, target, icon, hint = "", key, "&#8597;", " (select to sort)"
    css = f' class="{conditional_escape(css_class)}"' if css_class else ""
    return mark_safe(  # noqa: S308 — every value escaped above or here
        f'<th scope="col"{aria}{css}>\n  <a class="sort-link" href="{_query(params, sort=target, page=None)}">'
        f'{conditional_escape(label)}<span class="sort-icon" aria-hidden="true">{icon}</span>'
        f'<span class="visually-hidden">{hint}</span></a>\n</th>\n'
    )


def _step(params, number: int | None, rel: str, linked: str, disabled: str) -> str:
    """The previous or next link (``linked``: its text, ``{}`` where the
    hidden " page" goes), or its text greyed out when there is no such page."""
    if number is None:
        return f'\n      <li><span class="disabled" aria-hidden="true">{disabled}</span></li>\n    '
    text = linked.format('<span class="visually-hidden"> page</span>')
    return f'\n      <li><a href="{_query(params, page=number)}" rel="{rel}">{text}</a></li>\n    '


@register.simple_tag(takes_context=True)
def pagination(context, page, label: str = ""):
    """The page links of ``page`` (``page.elided_range``: 1 … 4 5 [6] 7 8 … 4000),
    nothing when there is one page; ``label`` names the navigation."""
    paginator = page.paginator
    if paginator.num_pages <= 1:
        return "\n"  # as the template drew: the line it ended with
    params = _get(context)
    out = [f'\n<nav class="pagination" aria-label="{conditional_escape(label or "Pages")}">\n  <ul>\n    ']
    previous = page.previous_page_number() if page.has_previous() else None
    out.append(_step(params, previous, "prev", "&lsaquo; Previous{}", "&lsaquo; Previous"))
    out.append("\n    ")
    for i in page.elided_range:
        if i == page.number:
            out.append(f'\n      \n        <li><span class="current" aria-current="page"><span class="visually-hidden">Page </span>{i}</span></li>\n      \n    ')
        elif i == paginator.ELLIPSIS:
            out.append('\n      \n        <li><span class="gap" aria-hidden="true">&hellip;</span></li>\n      \n    ')
        else:
            out.append(f'\n      \n        <li><a href="{_query(params, page=i)}"><span class="visually-hidden">Page </span>{i}</a></li>\n      \n    ')
    out.append("\n    ")
    following = page.next_page_number() if page.has_next() else None
    out.append(_step(params, following, "next", "Next{} &rsaquo;", "Next &rsaquo;"))
    out.append("\n  </ul>\n</nav>\n\n")
    return mark_safe("".join(out))  # noqa: S308 — numbers, escaped links and label


@register.simple_tag(takes_context=True)
def list_meta(context, page, noun: str = "", select_id: str = ""):
    """"Showing 1–25 of 80 reviews" and, past ten rows, the rows-per-page
    choice: a GET form that keeps the request's other parameters and starts
    from the first page."""
    noun = conditional_escape(noun or "items")
    paginator = page.paginator
    count = paginator.count
    if count:
        status = (f"Showing <strong>{page.start_index()}&ndash;{page.end_index()}</strong> of "
                  f"<strong>{count}</strong> {noun}")
    else:
        status = f"No {noun}"
    out = [f'\n<div class="list-meta">\n  <p class="small" role="status">{status}</p>\n  ']
    if count > 10:
        params = _get(context)
        hidden = "".join(
            f'<input type="hidden" name="{conditional_escape(key)}" value="{conditional_escape(value)}">'
            for key, value in (params.items() if params is not None else ())
            if key not in ("per_page", "page")
        )
        select_id = conditional_escape(select_id or "per-page")
        options = "".join(
            f'\n      <option value="{n}"{" selected" if paginator.per_page == n else ""}>{n}</option>' for n in (10, 25, 50, 100)
        )
        out.append(
            f'\n  <form class="per-page" method="get" action="">\n    {hidden}\n'
            f'    <label for="{select_id}">Rows per page</label>\n'
            f'    <select id="{select_id}" name="per_page" data-autosubmit>{options}\n    </select>\n'
            '    <button type="submit" class="btn btn-secondary btn-sm">Show</button>\n  </form>\n  '
        )
    out.append("\n</div>\n")
    return mark_safe("".join(out))  # noqa: S308 — numbers and escaped values
