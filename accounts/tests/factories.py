import factory

from accounts.models import Role, User
from accounts.services import membership_set


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a membership; pass role= and agency=/company= as needed."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple 42")

    @factory.post_generation
    def membership(obj, create, extracted, **kwargs):
        obj.save()
        if extracted is None:
            return
        role, org = extracted
        membership_set(
            user=obj,
            role=role,
            agency_id=org.pk if role in (Role.AGENCY_LEAD, Role.AGENCY_REVIEWER) else None,
            company_id=org.pk if role == Role.COMPANY_LIAISON else None,
        )


def make_user(*, role: str = Role.PROGRAM_ADMIN, org=None, password: str | None = None, **fields) -> User:
    """A user of ``role``; agency and company roles get a fresh organisation unless ``org`` is given."""
    from agencies.tests.factories import AgencyFactory
    from companies.tests.factories import CompanyFactory

    if org is None and role in (Role.AGENCY_LEAD, Role.AGENCY_REVIEWER):
        org = AgencyFactory()
    if org is None and role == Role.COMPANY_LIAISON:
        org = CompanyFactory()
    user = UserFactory(membership=(role, org), **fields)
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    from allauth.account.models import EmailAddress

    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return User.objects.select_related("membership__agency", "membership__company").get(pk=user.pk)
