from django.contrib.auth.models import Group
from django.db import models
from django.db.models.functions import Lower

from portal.loading import RowLoaded


class Agency(RowLoaded):
    """A government agency that reviews models (NSA, CISA, ...).

    ``leads_group`` holds the agency's leads: a review the agency takes part
    in grants its permissions to this group, so a new lead sees every such
    review at once and a departing one loses them at once.
    """

    acronym = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    leads_group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="agency_leads_of")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["acronym"]
        verbose_name_plural = "agencies"
        constraints = [models.UniqueConstraint(Lower("acronym"), name="agency_acronym_ci_unique")]

    def __str__(self) -> str:
        return self.acronym
