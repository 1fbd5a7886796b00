"""The rows of "Needs your action" (templates/dashboard/_inbox.html), built in
Python: every dashboard draws up to ten per section, and through the
template engine they were ~2 ms of each visit. Every text is escaped."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from reviews.templatetags.reviews_ui import RowClock, short_date

register = template.Library()


def _due(item, now, clock) -> str:
    if not item.due:
        cell = '<span class="muted">&mdash;</span>'
    else:
        cell = f'<time datetime="{clock.local(item.due).isoformat()}">{short_date(item.due, clock)}</time>'
        if item.due < now:
            cell += '<br><span class="deadline deadline-over">Overdue</span>'
    if item.stopped:
        cell += '<br><span class="badge badge-stopped">Clock stopped</span>'
    return cell


@register.simple_tag
def inbox_rows(inbox):
    """One row per item: the section's task, the item (link, its review when
    that is not the item itself, its note) and when it is due."""
    clock = RowClock()
    out = []
    for section, item in inbox.items:
        about = f'<a class="cell-title" href="{escape(item.url)}">{escape(str(item.title))}</a>'
        if item.title != item.review:
            about += f' <span class="cell-sub">{escape(str(item.review))}</span>'
        if item.note:
            about += f' <span class="cell-sub">{escape(str(item.note))}</span>'
        out.append(
            f'<tr data-section="{escape(section.key)}"><td>{escape(section.heading)}</td>'
            f'<th scope="row">{about}</th><td class="nowrap">{_due(item, inbox.now, clock)}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 — every text escaped above
