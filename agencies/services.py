from django.contrib.auth.models import Group
from django.db import transaction

from .models import Agency


@transaction.atomic
def agency_create(*, acronym: str, name: str) -> Agency:
    """Creates an agency with its leads group (named ``agency:<ACRONYM>:leads``)."""
    acronym = acronym.strip().upper()
    group, _ = Group.objects.get_or_create(name=f"agency:{acronym}:leads")
    agency = Agency(acronym=acronym, name=name.strip(), leads_group=group)
    agency.full_clean()
    agency.save()
    return agency
