import factory

from companies.models import AIModel, Company
from companies.services import company_create


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return company_create(name=kwargs["name"], slug=kwargs["slug"])


class AIModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIModel

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Model-{n}")
    version = "1.0"
