from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models.functions import Lower

from portal.loading import RowLoaded

from .querysets import AIModelQuerySet, CompanyQuerySet


class Company(RowLoaded):
    """An AI developer that submits models for review.

    ``liaisons_group`` holds the company's liaisons; the company's models and
    reviews are granted to that group, never to each liaison.
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    liaisons_group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="company_liaisons_of")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"
        constraints = [models.UniqueConstraint(Lower("name"), name="company_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class Modality(models.TextChoices):
    TEXT = "text", "Text"
    CODE = "code", "Code"
    MULTIMODAL = "multimodal", "Multimodal"
    AGENTIC = "agentic", "Agentic system"
    OTHER = "other", "Other"


class AIModel(RowLoaded):
    """A frontier model a company may put under review."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="models")
    name = models.CharField(max_length=120)
    version = models.CharField(max_length=60, blank=True)
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.TEXT)
    capability_summary = models.TextField(blank=True)
    planned_release_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AIModelQuerySet.as_manager()

    class Meta:
        ordering = ["company__name", "name", "version"]
        verbose_name = "AI model"
        constraints = [
            models.UniqueConstraint(
                "company", Lower("name"), Lower("version"), name="aimodel_company_name_version_unique"
            )
        ]
        # The models page's order (companies.views.model_list): any page of the
        # program office's 50,000 models off the index instead of a sort of all.
        indexes = [models.Index(fields=["name", "version", "id"], name="aimodel_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()
