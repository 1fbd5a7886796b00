from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.text import slugify

from audit.services import audit_record
from portal.errors import NotAllowed

from .models import AIModel, Company

# The fields of a model its company's liaisons register and edit.
MODEL_FIELDS = ("name", "version", "modality", "capability_summary", "planned_release_date")


@transaction.atomic
def company_create(*, name: str, slug: str = "") -> Company:
    """Creates a company with its liaisons group (named ``company:<slug>:liaisons``)."""
    slug = slug or slugify(name)
    group, _ = Group.objects.get_or_create(name=f"company:{slug}:liaisons")
    company = Company(name=name.strip(), slug=slug, liaisons_group=group)
    company.full_clean()
    company.save()
    return company


def _check_may_register(actor, company: Company) -> None:
    if not (actor.is_program_admin or (actor.is_company_liaison and actor.company_id == company.pk)):
        raise NotAllowed("Only the company's liaisons may register and edit its models.")


def _check_unique(model: AIModel) -> None:
    """A company registers a name and version once (ignoring case): said on the name field."""
    clash = AIModel.objects.annotate(n=Lower("name"), v=Lower("version")).filter(
        company_id=model.company_id, n=model.name.lower(), v=model.version.lower()
    )
    if model.pk:
        clash = clash.exclude(pk=model.pk)
    if clash.exists():
        label = f"{model.name} {model.version}".strip()
        raise ValidationError({"name": f"{model.company} already registered {label}; change the name or the version."})


def _clean_fields(fields: dict) -> dict:
    cleaned = dict(fields)
    for key in ("name", "version", "capability_summary"):
        if key in cleaned and isinstance(cleaned[key], str):
            cleaned[key] = cleaned[key].strip()
    return cleaned


@transaction.atomic
def aimodel_create(*, actor, company: Company, name: str, version: str = "", **fields) -> AIModel:
    """Registers a model under the actor's company (program admins: any company).

    Refused (``NotAllowed``) for anyone else; a name and version the company already
    registered is refused on the name field. Side effect: audit ``model.create``.
    """
    _check_may_register(actor, company)
    model = AIModel(company=company, created_by=actor, **_clean_fields({"name": name, "version": version, **fields}))
    model.full_clean(validate_constraints=False)
    _check_unique(model)
    model.save()
    audit_record(
        action="model.create", actor=actor, target=model,
        payload={"company": company.name, "name": model.name, "version": model.version, "modality": model.modality},
    )
    return model


@transaction.atomic
def aimodel_update(*, actor, model_id: int, **fields) -> AIModel:
    """The company's liaison corrects a registered model's fields (``MODEL_FIELDS``).
    Locks the model row. Side effect: audit ``model.edit`` naming each changed field
    with its old and new value; nothing when nothing changed."""
    unknown = set(fields) - set(MODEL_FIELDS)
    if unknown:
        raise ValueError(f"Not a model field: {', '.join(sorted(unknown))}")
    model = AIModel.objects.select_for_update().select_related("company").get(pk=model_id)
    _check_may_register(actor, model.company)
    before = {k: getattr(model, k) for k in MODEL_FIELDS}
    for key, value in _clean_fields(fields).items():
        setattr(model, key, value)
    model.full_clean(validate_constraints=False)
    _check_unique(model)
    changes = {k: [_plain(before[k]), _plain(getattr(model, k))] for k in MODEL_FIELDS if before[k] != getattr(model, k)}
    if changes:
        model.save()
        audit_record(action="model.edit", actor=actor, target=model, payload={"changes": changes})
    return model


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
