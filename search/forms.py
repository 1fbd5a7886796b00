from __future__ import annotations

from urllib.parse import urlencode

from django import forms

from portal.forms import SingleLineField

from .query import MAX_LENGTH
from .selectors import CAP, KINDS, Filters

PER_KIND = 10  # results of each kind on the "everything" page
ONE_KIND = 50  # results a page when one kind is chosen
# One kind's pages: its first CAP matches are ranked (selectors.common.CAP), so its pages stop there.
PAGES = CAP // ONE_KIND


class SearchForm(forms.Form):
    """What to search for and the filters. Ids of agencies, companies and
    reviews are taken as typed: every result set is scoped anyway, so an id
    outside the user's scope only finds nothing."""

    q = SingleLineField(label="Search for", required=False, max_length=MAX_LENGTH, strip=True)
    type = forms.ChoiceField(label="Type", required=False, choices=[("", "Everything"), *KINDS.items()])
    review = forms.IntegerField(label="Review number", required=False, min_value=1)
    agency = forms.IntegerField(label="Agency", required=False, min_value=1)
    company = forms.IntegerField(label="Company", required=False, min_value=1)
    marking = forms.IntegerField(label="Marking", required=False, min_value=1)
    date_from = forms.DateField(label="From", required=False)
    date_to = forms.DateField(label="To", required=False)
    page = forms.IntegerField(
        label="Page", required=False, min_value=1, max_value=PAGES,
        error_messages={"max_value": f"only the first {CAP} results of a type are shown, {PAGES} pages of {ONE_KIND}; add words or filters to narrow the search."},
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def window(self) -> tuple[int, int]:
        """How many results of each kind to show, and past how many: pages only
        when one kind is chosen (the "everything" page shows each kind's first
        few, with a link to that kind's pages)."""
        if not self.cleaned_data.get("type"):
            return PER_KIND, 0
        return ONE_KIND, ((self.cleaned_data.get("page") or 1) - 1) * ONE_KIND

    def pages(self, results) -> dict | None:
        """Where a page of one kind's results stands (None without a type):
        the positions shown, the neighbouring pages that hold results — past
        PAGES none, and the page asks for more words or filters instead —
        and whether the page is past the last result."""
        if not self.cleaned_data.get("type") or not results.sections:
            return None
        limit, offset = self.window()
        section = results.sections[0]
        page, shown = offset // limit + 1, len(section.hits)
        return {
            "number": page,
            "first": offset + 1,
            "last": offset + shown,
            "previous": page - 1 if page > 1 else None,
            "next": page + 1 if page < PAGES and section.count > offset + shown else None,
            "past_last": not shown and section.count > 0,
            "more_than_shown": section.count > offset + shown,
        }

    def chosen(self) -> dict:
        """The fields set besides the words, by name (what a search is recorded with)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "q" and value not in (None, "")}

    def saved_params(self) -> str:
        """The filters set, as a saved search keeps them: the address's
        fields in the form's order, without the words and the page (the same
        filters always give the same text)."""
        chosen = self.chosen()
        return urlencode([(name, str(chosen[name])) for name in SearchForm.base_fields if name not in ("q", "page") and name in chosen])

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            kinds=(data["type"],) if data.get("type") else (),
            review_id=data.get("review"),
            agency_id=data.get("agency"),
            company_id=data.get("company"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            marking_id=data.get("marking"),
        )


class SaveSearchForm(SearchForm):
    """A search to keep: its words (required) and filters, as the search page
    sends them, and whether to be told of new matches."""

    alert = forms.BooleanField(label="Tell me when something new matches", required=False)

    def clean_q(self):
        if not self.cleaned_data.get("q"):
            raise forms.ValidationError("type the words to search for before saving the search.")
        return self.cleaned_data["q"]


class FindInDocumentForm(forms.Form):
    """The words to find in one document's text (its page: search.views.document_find)."""

    q = SingleLineField(label="Find in this document", required=False, max_length=MAX_LENGTH, strip=True)
