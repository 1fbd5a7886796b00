from functools import lru_cache
from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def select_options(choices, selected, empty_label: str, unlisted_label: str = ""):
    """``<option>`` elements of (value, label) pairs, ``selected`` marked.

    A chosen number that is not in the list (a review, agency or company
    outside the reader's scope, or one they lost since the address was
    bookmarked) gets an option of its own, ``unlisted_label`` with the
    number in place of ``{}``, marked: the list shows the filter the results
    were read with rather than "Any …", and sends it on with the next words.
    It names nothing but the number the address holds.

    A user who sees 20,000 reviews filters among hundreds of companies, the
    program office among every one (500 at bench scale): built here with
    plain escaping the options cost a fraction of a millisecond, against
    ~15 ms through a template loop (the bound field and two filters resolved
    for every option) and ~3 ms through format_html. The same lists come
    back on every search page, so each list's options are kept per process
    (``_drawn``) and only the chosen one is marked."""
    options, positions = _drawn(tuple(choices), str(empty_label))
    chosen = None if selected is None else positions.get(str(selected))
    if chosen is not None:
        options = list(options)
        options[chosen] = options[chosen].replace(">", " selected>", 1)
    elif unlisted_label and str(selected or "").isdigit() and str(selected).isascii():
        number = str(int(selected))
        unlisted = f'<option value="{number}" selected>{escape(unlisted_label.format(number))}</option>'
        options = (options[0], unlisted, *options[1:])
    return mark_safe("".join(options))  # noqa: S308 — every value and label escaped (here and in _drawn)


@lru_cache(maxsize=64)
def _drawn(choices: tuple, empty_label: str) -> tuple[tuple[str, ...], dict[str, int]]:
    """The options of a list, none selected, and where each value's option is
    (the first of a value given twice, as the browser would select it). Kept
    by the list's own values and labels: a renamed company is another list.
    At most 64 lists (~40 kB for 500 companies): the office's, the markings
    and the agencies and companies of the readers searching now."""
    options = [f'<option value="">{escape(empty_label)}</option>']
    positions: dict[str, int] = {}  # the empty option is never marked: nothing chosen is its meaning
    for pk, label in choices:
        positions.setdefault(str(pk), len(options))
        options.append(f'<option value="{escape(str(pk))}">{escape(str(label))}</option>')
    return tuple(options), positions


@register.simple_tag
def search_hits(section):
    """A results section's ``<li>`` items (templates/search/_results.html).

    Every search draws up to 40 of them (50 for one kind), and as the user
    types: through the template engine they cost ~6 ms a page (each hit's
    attributes, its review's URL and a translated date filter resolved per
    item), built here a fraction of that. The markup is the list's: change it
    here, not in the template."""
    from django.utils.html import conditional_escape

    from portal.links import pk_url_builder
    from reviews.templatetags.reviews_ui import RowClock, short_date

    review_url = pk_url_builder("review_detail")
    clock = RowClock()
    badge = escape(section.label[:-1])  # "Documents" -> "Document"
    items = []
    for hit in section.hits:
        where = "" if hit.kind == "review" else f'<a href="{review_url(hit.review.pk)}">{escape(str(hit.review))}</a> &middot; '
        items.append(
            '<li class="search-hit">'
            f'<p class="search-hit-title"><span class="badge">{badge}</span> <a href="{escape(hit.url)}">{escape(str(hit.title))}</a></p>'
            f'<p class="search-hit-meta small">{where}{escape(str(hit.detail))} &middot; {short_date(hit.at, clock)}'
            + (f' &middot; <a href="{escape(hit.page_url)}">Open at page {hit.text_page}</a>' if hit.page_url else "")
            + (f' &middot; <a href="{escape(hit.find_url)}">Every page that matches</a>' if hit.find_url else "")
            + "</p>"
            f'<p class="search-hit-snippet">{conditional_escape(hit.snippet)}</p>'
            "</li>"
        )
    return mark_safe("".join(items))  # noqa: S308 — every text escaped above; the snippet is escaped or already safe
