from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from reviews.models import Review

from .models import AIModel


@login_required
def model_detail(request, pk: int):
    model = get_object_or_404(AIModel.objects.visible_to(request.user).select_related("company"), pk=pk)
    reviews = Review.objects.visible_to(request.user).filter(model=model).order_by("-created_at")
    return render(request, "companies/model_detail.html", {"model": model, "reviews": reviews})
