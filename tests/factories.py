"""Factories for tests: real rows in a real database, no mocks."""

import datetime as dt

import factory

from evaluations.models import Cycle, CycleType, Evaluation, Grade, Pillar, PillarGrade
from pqa.models import Role, ServiceArea, Team, User


class ServiceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Service area {n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("service_area", "name")

    service_area = factory.SubFactory(ServiceAreaFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@trust.example")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Tester"
    role = Role.EVALUATOR
    password = factory.django.Password("correct-horse-battery-staple")


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cycle

    quarter = "2025-26-Q1"
    type = CycleType.TRUST_WIDE
    title = factory.Sequence(lambda n: f"Round {n}")


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evaluation

    reference = factory.Sequence(lambda n: f"PE-T-{n:05d}")
    cycle = factory.SubFactory(CycleFactory)
    team = factory.SubFactory(TeamFactory)
    child_ref = factory.Sequence(lambda n: f"CHILD{n:06d}")
    practitioner = "SW-1001"
    evaluator = factory.SubFactory(UserFactory)
    due_date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=14))


def completed_evaluation(*, grade=Grade.GOOD, pillar_grade=None, **kwargs) -> Evaluation:
    """A returned evaluation with every pillar graded and every headline question answered."""
    values = {
        "status": Evaluation.Status.RETURNED,
        "overall_grade": grade,
        "evaluation_date": dt.date(2025, 5, 1),
        "intervention_appropriate": "yes",
        "positive_difference": "yes",
        "record_reflects_work": "partly",
    }
    evaluation = EvaluationFactory(**{**values, **kwargs})
    for pillar in Pillar.values:
        PillarGrade.objects.create(evaluation=evaluation, pillar=pillar, grade=pillar_grade or grade)
    return evaluation
