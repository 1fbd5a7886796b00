"""Registering and correcting a company's models (its liaisons only; the API has the same through ``aimodel_create``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from portal.errors import Refused
from portal.forms import show_refusal
from portal.pagination import paginate

from . import services
from .selectors import MODEL_ORDER
from .forms import AIModelForm
from .models import AIModel, Company


def _next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return None


@login_required
@require_http_methods(["GET"])
def model_list(request):
    """A liaison's company's models, or every model for the program office,
    by name, a page at a time (``AIModel.visible_to``). Agency users reach
    models through their reviews: 404."""
    if not (request.user.is_company_liaison or request.user.is_program_admin):
        raise Http404
    models = AIModel.objects.visible_to(request.user).select_related("company").order_by(*MODEL_ORDER)
    context = {"page": paginate(request, models), "show_company": not request.user.is_company_liaison}
    return render(request, "companies/model_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def model_create(request):
    """A company's liaison registers one of its models."""
    if not request.user.is_company_liaison:
        raise Http404
    company = get_object_or_404(Company, pk=request.user.company_id)
    form = AIModelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            model = services.aimodel_create(actor=request.user, company=company, **form.cleaned_data)
        except (ValidationError, Refused) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, f"{model} is registered. You can now put it under review.")
            target = _next(request)
            return redirect(target) if target else redirect("model_detail", pk=model.pk)
    return render(
        request, "companies/model_form.html", {"form": form, "company": company, "model": None, "next": _next(request) or ""},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def model_edit(request, pk: int):
    """The model's company's liaison corrects its facts; anyone else: 404."""
    user = request.user
    if not user.is_company_liaison:
        raise Http404
    model = get_object_or_404(AIModel.objects.select_related("company").filter(company_id=user.company_id), pk=pk)
    form = AIModelForm.for_model(model, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.aimodel_update(actor=user, model_id=model.pk, **form.cleaned_data)
        except (ValidationError, Refused) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, "Model updated.")
            return redirect("model_detail", pk=model.pk)
    return render(
        request, "companies/model_form.html", {"form": form, "company": model.company, "model": model, "next": ""},
        status=400 if form.errors else 200,
    )
