import factory

from agencies.models import Agency
from agencies.services import agency_create


class AgencyFactory(factory.django.DjangoModelFactory):
    """Agencies are made by the service, so each has its leads group."""

    class Meta:
        model = Agency

    acronym = factory.Sequence(lambda n: f"AG{n}")
    name = factory.LazyAttribute(lambda o: f"Agency {o.acronym}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return agency_create(acronym=kwargs["acronym"], name=kwargs["name"])
