from urllib.parse import parse_qsl, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from documents.selectors import document_in_scope

from . import selectors, services
from .forms import FindInDocumentForm, SaveSearchForm, SearchForm
from .models import SavedSearch, SearchRecord


@login_required
@require_GET
def search_page(request):
    """One search over everything the user may see; htmx asks for the results
    part only as the user types, and the plain GET form works without it."""
    if not request.htmx and any(value == "" for value in request.GET.values()):
        # The plain form (no JavaScript) sends every field, empty ones too: the
        # address to share or bookmark keeps the filled ones (as htmx asks).
        kept = request.GET.copy()
        for name in [name for name, value in request.GET.items() if value == ""]:
            kept.pop(name)
        return redirect(f"{request.path}?{kept.urlencode()}" if kept else request.path)
    form = SearchForm(request.GET or None)
    results = pages = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        filters = form.filters()
        limit, offset = form.window()
        results = selectors.search(user=request.user, text=form.cleaned_data["q"], filters=filters, limit=limit, offset=offset)
        pages = form.pages(results)
    in_review = selectors.review_named(user=request.user, pk=form.cleaned_data.get("review")) if results else None
    context = {"form": form, "results": results, "pages": pages, "in_review": in_review}
    if results is not None:
        # What "Save this search" sends: the words and the filters set (not the page).
        context["save_fields"] = [("q", form.cleaned_data["q"]), *parse_qsl(form.saved_params())]
    if request.htmx and request.htmx.target == "search-results":
        response = render(request, "search/_results.html", context)
    else:
        context["choices"] = selectors.filter_choices(user=request.user)
        response = render(request, "search/search.html", context)
    if results is not None:
        # Drawn, so recorded before it is sent (folded into the audit trail once the reader stops
        # typing): a page that failed to draw records nothing, and a record refused sends nothing.
        services.search_record(user=request.user, results=results, filters=form.chosen(), via=SearchRecord.VIA_PAGE)
    return response


@login_required
@require_GET
def document_find(request, pk: int):
    """Every page of one document's text that holds the words (its newest
    version the reader may read), each with its snippet and a link that opens
    the PDF at that page; recorded like every search. Out of scope: 404."""
    document, standing = document_in_scope(user=request.user, pk=pk)
    form = FindInDocumentForm(request.GET or None)
    found = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        found = selectors.document_pages_found(user=request.user, document=document, text=form.cleaned_data["q"])
    response = render(request, "search/document_find.html", {
        "form": form, "document": document, "review": document.review, "standing": standing, "found": found,
        "shown": selectors.PAGES_SHOWN,
    }, status=400 if form.errors else 200)
    if found is not None:
        # As the search page: drawn, then recorded (the trail shows the document among the filters).
        services.search_record(user=request.user, results=selectors.Results(found.query, [
            selectors.Section("page", "Pages", found.total),
        ]), filters={"document": document.pk}, via=SearchRecord.VIA_PAGE)
    return response


@login_required
@require_GET
def saved_search_index(request):
    """The reader's saved searches: run one, turn its alerts on or off, remove it."""
    return render(request, "search/saved.html", {"rows": selectors.saved_search_list(user=request.user), "most": services.SAVED_PER_READER})


@login_required
@require_POST
def saved_search_save(request):
    """Keeps the search the page shows (its words and filters, as the page's
    form sends them); back to that search with what happened."""
    form = SaveSearchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The search was not saved: " + " ".join(
            f"{form.fields[name].label if name in form.fields else 'Search'}: {error}" for name, errors in form.errors.items() for error in errors
        ))
        # Back to the search as it was sent, where the search form shows the same refusal beside its field.
        kept = [(name, value) for name, value in request.POST.items() if name in SearchForm.base_fields and name != "page" and value]
        return redirect(reverse("search") + (f"?{urlencode(kept)}" if kept else ""))
    params = form.saved_params()
    try:
        saved, created = services.saved_search_create(
            owner=request.user, text=form.cleaned_data["q"], params=params, alert=form.cleaned_data["alert"]
        )
    except ValidationError as error:
        messages.error(request, "The search was not saved: " + " ".join(error.messages))
        return redirect(selectors.saved_search_url(SavedSearch(text=form.cleaned_data["q"], params=params)))
    if not created:
        messages.info(request, f"\u201c{saved.text}\u201d with these filters is already one of your saved searches.")
    elif saved.alert:
        messages.success(request, f"Saved \u201c{saved.text}\u201d. You will be told when something new you may see matches it.")
    else:
        messages.success(request, f"Saved \u201c{saved.text}\u201d.")
    return redirect(selectors.saved_search_url(saved))


@login_required
@require_POST
def saved_search_alert(request, pk: int):
    """Alerts on (``alert=on``) or off for one of the reader's saved searches; anyone else's is a 404."""
    alert = request.POST.get("alert") == "on"
    try:
        saved = services.saved_search_alert_set(owner=request.user, saved_search_id=pk, alert=alert)
    except SavedSearch.DoesNotExist:
        raise Http404 from None
    messages.success(request, f"Alerts for \u201c{saved.text}\u201d are {'on' if alert else 'off'}.")
    return redirect("saved_search_index")


@login_required
@require_POST
def saved_search_remove(request, pk: int):
    """Removes one of the reader's saved searches; anyone else's is a 404."""
    try:
        services.saved_search_delete(owner=request.user, saved_search_id=pk)
    except SavedSearch.DoesNotExist:
        raise Http404 from None
    messages.success(request, "The saved search was removed.")
    return redirect("saved_search_index")
