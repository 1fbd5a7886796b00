from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.text import slugify

from .models import AIModel, Company


@transaction.atomic
def company_create(*, name: str, slug: str = "") -> Company:
    """Creates a company with its liaisons group (named ``company:<slug>:liaisons``)."""
    slug = slug or slugify(name)
    group, _ = Group.objects.get_or_create(name=f"company:{slug}:liaisons")
    company = Company(name=name.strip(), slug=slug, liaisons_group=group)
    company.full_clean()
    company.save()
    return company


@transaction.atomic
def aimodel_create(*, actor, company: Company, name: str, version: str = "", **fields) -> AIModel:
    """Registers a model under the actor's company (program admins: any company)."""
    if not (actor.is_program_admin or (actor.is_company_liaison and actor.company_id == company.pk)):
        raise PermissionDenied("Only the company's liaisons may register its models.")
    model = AIModel(company=company, name=name.strip(), version=version.strip(), created_by=actor, **fields)
    model.full_clean()
    model.save()
    return model
