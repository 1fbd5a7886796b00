"""Each role's landing page. A top-layer app: it reads from every app below it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from companies.selectors import model_list_first_ahead
from reviews import selectors
from portal.ahead import Batch
from portal.pagination import paginate
from portal.statements import Ahead

from .charts import office_charts_ahead
from .inbox import inbox_ahead


MODELS_SHOWN = 10  # a company's models on its liaisons' dashboard


@login_required
def dashboard(request):
    """Each role's landing page: first what this person must do (``inbox``), then what that role may act on.

    What does not depend on the table (the inbox, the office's burn-down, a
    liaison's first models) is sent first on the page's second connection
    (``portal.ahead``): PostgreSQL runs it while this thread reads and builds
    the table, and it is read back after."""
    user = request.user
    sort = request.GET.get("sort", "deadline")
    batch = Batch()
    try:
        ahead = Ahead(batch)
        inbox = inbox_ahead(user, batch=batch)
        context = {"sort": sort}
        if user.is_program_admin:
            charts = office_charts_ahead(user=user, ahead=ahead)
        elif user.is_company_liaison:
            # The first few by name; the rest are a page away (companies.views.model_list).
            models = model_list_first_ahead(user=user, limit=MODELS_SHOWN + 1, ahead=ahead)
        # Each table's rows statement is kept per reader and order (portal.pagination.page_rows).
        if user.is_agency_reviewer:
            kept = ("dashboard.reviewer", sort) if sort in selectors.ASSIGNMENT_SORTS else None
            context["page"] = paginate(request, selectors.reviewer_dashboard(user=user, sort=sort), kept=kept)
            template = "dashboard/reviewer.html"
        elif user.is_agency_lead:
            kept = ("dashboard.lead", sort) if sort in selectors.SORTS else None
            context["page"] = paginate(request, selectors.lead_dashboard(user=user, sort=sort), kept=kept)
            selectors.lead_coverage_load(user=user, reviews=context["page"].object_list)
            template = "dashboard/lead.html"
        elif user.is_company_liaison:
            kept = ("dashboard.liaison", sort) if sort in selectors.SORTS else None
            context["page"] = paginate(request, selectors.review_list(user=user, sort=sort), kept=kept)
            first = models()
            context["models"], context["more_models"] = first[:MODELS_SHOWN], len(first) > MODELS_SHOWN
            template = "dashboard/liaison.html"
        elif user.is_program_admin:
            kept = ("dashboard.office", sort) if sort in selectors.SORTS else None
            context["page"] = paginate(request, selectors.review_list(user=user, sort=sort), kept=kept)
            context["charts"] = charts()
            template = "dashboard/admin.html"
        else:
            template = "dashboard/no_role.html"
        context["inbox"] = inbox.result() if inbox is not None else None
    finally:
        batch.close()
    return render(request, template, context)
