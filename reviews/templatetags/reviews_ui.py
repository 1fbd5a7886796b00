"""Small pieces of review markup as Python tags: a list renders them once per
row (100 rows a page), and an ``{% include %}`` costs several times a
function call. templates/includes/status_badge.html and days_left.html call
these, so the markup lives here only."""

from functools import lru_cache

from django import template
from django.template.defaultfilters import pluralize
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from portal.links import pk_url, pk_url_builder

register = template.Library()


@register.simple_tag
def status_badge(status, label, kind="Status", large=False):
    """A state as a badge. The same few recur on every row of a list or a
    dashboard (two per assignment row): each is drawn once per process
    (``_badge``; format_html cost ~6 µs a call, the lookup a tenth of that),
    keyed by its texts as they read now (a label in another language is
    another badge)."""
    return _badge(str(status), str(label), str(kind or "Status"), bool(large))


@lru_cache(maxsize=1024)
def _badge(status: str, label: str, kind: str, large: bool) -> SafeString:
    return format_html(
        '<span class="badge badge-{}{}"><span class="visually-hidden">{}: </span>{}</span>',
        status,
        " badge-lg" if large else "",
        kind,
        label,
    )


def _deadline(css: str, text: str):
    # Both parts are ours (a class name, a constant or a number of days): nothing to escape.
    return mark_safe(f'<span class="deadline deadline-{css}">{text}</span>')  # noqa: S308


class RowClock:
    """The active time zone and the current moment, read once for a whole
    list: per row they cost three context-local lookups (a third of a row's
    time)."""

    def __init__(self):
        from django.utils import timezone

        self.tz = timezone.get_current_timezone()
        self.now = timezone.now()

    def local(self, value):
        from django.utils import timezone

        return value.astimezone(self.tz) if timezone.is_aware(value) else value


@register.simple_tag
def days_left(review, clock: RowClock | None = None):
    """How long a review's window has left, urgency shown by text as well as
    by colour (the CSS adds the icon). ``clock``: a list's ``RowClock``."""
    if review.status == "withdrawn":  # before or after its window opened
        return _deadline("none", "Withdrawn")
    if not review.window_end:
        return _deadline("none", "Not open yet")
    if review.status == "in_review":
        clock = clock or RowClock()
        days = review.days_left(now=clock.now, tz=clock.tz)
        if days < 0:
            return _deadline("over", f"Ended {-days} day{pluralize(-days)} ago")
        if days == 0:
            return _deadline("urgent", "Ends today")
        if days <= 3:
            return _deadline("urgent", f"{days} day{pluralize(days)} left")
        return _deadline("soon" if days <= 7 else "ok", f"{days} days left")
    if review.status == "closed":
        return _deadline("none", "Closed")
    return mark_safe('<span class="deadline deadline-none">&mdash;</span>')  # noqa: S308 (a constant)


@register.simple_tag
def short_date(value, clock: RowClock | None = None):
    """``Nov 27, 2026`` in the active time zone: the ``date:"M j, Y"`` filter
    without its translation lookups (a tenth of a millisecond a row).
    ``clock``: a list's ``RowClock``."""
    if not value:
        return ""
    from django.utils import timezone

    local = clock.local(value) if clock else timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local:%b} {local.day}, {local.year}"


@register.filter
def revocable_by(person, standing):
    """Whether ``standing``'s reader may revoke ``person``'s access (the view asks the same)."""
    return bool(standing) and standing.may_revoke_person(person)


@register.simple_tag(name="pk_url")
def pk_url_tag(name: str, pk) -> str:
    """``{% url name pk %}`` for a pattern with one ``pk`` argument, reversed
    once per process (``portal.links``): a review's page links its other
    pages and forms a score of times."""
    return pk_url(name, pk)


_NO_AGENCY = '<li class="muted">None</li>'


@register.simple_tag(takes_context=True)
def review_rows(context, rows, show_company=False, show_agencies=False, show_coverage=False):
    """The body rows of templates/includes/review_table.html.

    Every list of reviews (the review list, each role's dashboard, sorted
    and 100-row pages) draws these rows; through the template engine a row
    cost ~0.12 ms (12 ms for 100), built here about a tenth of that. The
    markup is the table's: change it here, not in the template."""
    from html import escape

    from django.utils.html import conditional_escape

    from accounts.people import person_label

    from reviews.models import ReviewStatus

    viewer = context.get("user")
    detail = pk_url_builder("review_detail")
    clock = RowClock()
    labels = dict(ReviewStatus.choices)
    cover_items = {}  # a lead's coverage item per (reviewer, assignment state): a person covers many rows

    def covered(a):
        key = (a.reviewer_id, a.status)
        item = cover_items.get(key)
        if item is None:
            item = cover_items[key] = (
                f'<li class="person">{conditional_escape(person_label(a.reviewer, viewer=viewer))} '
                f'{status_badge(a.status, a.get_status_display(), "Assignment")}</li>'
            )
        return item

    out = []
    for review in rows:
        cells = [
            f'<tr><th scope="row"><a class="cell-title" href="{detail(review.pk)}">{escape(str(review.model))}</a>'
            f' <span class="cell-sub">Review #{review.pk}</span></th>'
        ]
        if show_company:
            cells.append(f"<td>{escape(str(review.company))}</td>")
        if show_agencies:
            items = []
            for a in review.agency_states:
                state = ""
                if a["signed"]:
                    state = ' <span class="cell-sub">signed off</span>'
                elif review.status == "in_review":
                    state = ' <span class="cell-sub">outstanding</span>'
                if a["certified"]:
                    state += ' <span class="cell-sub">certified</span>'
                items.append(f'<li><span class="chip">{escape(str(a["acronym"]))}</span>{state}</li>')
            cells.append(f'<td><ul class="inline-list">{"".join(items) or _NO_AGENCY}</ul></td>')
        cells.append(f"<td>{status_badge(review.status, labels.get(review.status, review.status))}</td>")
        end = f"{short_date(review.window_end, clock)}<br>" if review.window_end else ""
        cells.append(f'<td class="nowrap">{end}{days_left(review, clock)}</td>')
        if show_coverage:
            if review.coverage:
                people = "".join(covered(a) for a in review.coverage)
                cells.append(f'<td><ul class="plain-list">{people}</ul></td>')
            elif review.status in ("submitted", "in_review"):
                cells.append('<td><span class="badge badge-danger">No reviewer assigned</span></td>')
            else:
                cells.append('<td><span class="muted">&mdash;</span></td>')
        out.append("".join(cells) + "</tr>")
    return mark_safe("\n".join(out))  # noqa: S308 — every text escaped above; badges and names come escaped (format_html)


@register.simple_tag(takes_context=True)
def assignment_rows(context, assignments):
    """The body rows of the review page's table of reviewers
    (templates/reviews/review_detail.html): each reviewer as the person
    display rule names them for the reader (``accounts.people``), a link to
    their assignment for the reader's own, the agency, the state and the two
    dates.

    Through the template engine a row cost ~0.1 ms (a person tag, an
    included badge and two translated date filters resolved per row; ~0.6 ms
    of the lead's and the office's review pages), built here a fraction of
    that. The markup is the table's: change it here, not in the template."""
    from html import escape

    from django.utils.html import conditional_escape

    from accounts.people import person_label

    viewer = context.get("user")
    viewer_id = getattr(viewer, "pk", None)
    detail = pk_url_builder("assignment_detail")
    clock = RowClock()
    out = []
    for a in assignments:
        name = conditional_escape(person_label(a.reviewer, viewer=viewer))
        if a.reviewer_id == viewer_id:
            name = f'<a href="{detail(a.pk)}">{name}</a> <span class="cell-sub">You</span>'
        answered = short_date(a.responded_at, clock) if a.responded_at else '<span class="muted">&mdash;</span>'
        out.append(
            f'<tr><th scope="row">{name}</th><td>{escape(str(a.agency))}</td>'
            f'<td>{status_badge(a.status, a.get_status_display(), "Assignment")}</td>'
            f'<td class="nowrap">{short_date(a.invited_at, clock)}</td><td class="nowrap">{answered}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 — every text escaped above; the badge comes escaped (format_html)
