"""Demo data for PQA: the organisation, one account per role, and a year of practice
evaluations, built through the same services a person would use, so the history, the
outbox and every derived value (references, moderation outcomes) are real.

Used by `manage.py load_demo`; the numbers are drawn from a fixed seed, so two loads on the
same day give the same data. The shape follows the trust's 2024/25 figures (seed 000): about
80% returned, Good the most common grade, 94% "appropriate", 88% "positive difference"."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from evaluations import selectors, services
from evaluations.models import (
    Answer,
    Cycle,
    CycleType,
    Evaluation,
    FathersIncluded,
    Grade,
    HeadlineQuestion,
    Pillar,
    Recommendation,
    Respondent,
)
from pqa.demo import DEMO_DEVICE_NAME, DEMO_PASSWORD
from pqa.models import Role, ServiceArea, Team, User
from pqa.permissions import role_requires_two_factor
from pqa.quarters import Quarter

DEMO_SEED = 20250401
ORGANISATION_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "organisation.json"
# The account whose presence says the demo has been loaded (the command is idempotent).
DEMO_MARKER_USERNAME = "demo-practice-hub"

GRADES = [Grade.OUTSTANDING, Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE]
GRADE_WEIGHTS = [5, 57, 31, 7]
GRADE_DECK = [2, 23, 12, 3]  # of 40: 5%, 57.5%, 30%, 7.5%
# The chance of "yes" to each headline question by overall grade; the mix of grades brings the
# totals near the trust's 94% appropriate, 88% positive difference and ~75% record reflects work.
HEADLINE_P_YES = {
    question: dict(zip(GRADES, chances, strict=True))
    for question, chances in (
        (HeadlineQuestion.INTERVENTION_APPROPRIATE, (0.99, 0.99, 0.9, 0.7)),
        (HeadlineQuestion.POSITIVE_DIFFERENCE, (0.95, 0.95, 0.8, 0.45)),
        (HeadlineQuestion.RECORD_REFLECTS_WORK, (0.93, 0.93, 0.55, 0.2)),
    )
}
# Moderation: each closed cycle's sample is every Inadequate and Outstanding grade and this
# share of the rest. One evaluator grades generously, so the consistency figures show them
# needing a refresher; the others are agreed with at least four times in five.
MODERATION_SHARE = 20
GENEROUS_EVALUATOR = "demo-evaluator-5"
WEAK = (Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE)


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    role: str
    team: tuple[str, str] | None = None  # (service area, team)

    @property
    def email(self) -> str:
        return f"{self.first_name}.{self.last_name}@trust.example".lower().replace("'", "")


PEOPLE = [
    Person("demo-evaluator", "Priya", "Shah", Role.EVALUATOR, ("Family Help", "Family Help South")),
    Person("demo-moderator", "Daniel", "Okafor", Role.MODERATOR),
    Person("demo-practice-hub", "Helen", "Marsh", Role.PRACTICE_HUB),
    Person("demo-team-manager", "Marcus", "Reid", Role.TEAM_MANAGER, ("Family Help", "Family Help North")),
    Person("demo-customer-relations", "Sophie", "Turner", Role.CUSTOMER_RELATIONS),
    Person("demo-leader", "Angela", "Brooks", Role.LEADER),
    Person("demo-admin", "Sam", "Patel", Role.ADMINISTRATOR),
    Person("demo-evaluator-2", "Grace", "Adeyemi", Role.EVALUATOR, ("Child Protection", "MACPT North")),
    Person("demo-evaluator-3", "Tom", "Hughes", Role.EVALUATOR, ("Children in Care", "Children in Care South")),
    Person("demo-evaluator-4", "Fatima", "Rahman", Role.EVALUATOR, ("Front Door", "MASH")),
    Person("demo-evaluator-5", "Owen", "Davies", Role.EVALUATOR, ("Care Leavers", "Care Leavers 18+")),
    Person("demo-evaluator-6", "Nadia", "Kowalski", Role.EVALUATOR, ("Youth Justice", "Youth Justice Service")),
]
DEMO_TEAM = ("Family Help", "Family Help North")  # the demo team manager's team

# Service practice evaluations (SPEs) follow the trust-wide cycle in some quarters.
SPE_SERVICE_BY_QUARTER_INDEX = {1: "Children in Care", 3: "Front Door"}

# --- What evaluators write: short, plausible, never a name ---------------------------------

TELL_ME = {
    Pillar.CHILDS_VOICE: {
        "strong": [
            "Visits are regular and often alone with the child; the practitioner described the child's "
            "week, worries and what makes them laugh.",
            "Direct work using a three houses tool helped the child say what needs to change at home.",
            "The young person chose where to meet; the practitioner adapted sessions around college.",
        ],
        "weak": [
            "The practitioner knows the parents' views well but has seen the child alone only once.",
            "Visits have been to the home with the family present; the child's own words are not yet clear.",
            "Language needs were recognised late and an interpreter has only just been arranged.",
        ],
    },
    Pillar.ASSESSMENT: {
        "strong": [
            "The assessment brings together school, health and police information and weighs risk "
            "against the family's strengths.",
            "History and chronology were used to explain why neglect has persisted and what would help.",
        ],
        "weak": [
            "The assessment describes events but does not yet analyse what they mean for the child.",
            "The assessment is over six months old and does not reflect the new adult in the household.",
        ],
    },
    Pillar.PLANNING: {
        "strong": [
            "The plan is SMART, written with the family, and each action has an owner and a date.",
            "Core group meetings review progress against the plan and actions are followed through.",
        ],
        "weak": [
            "The plan lists services rather than the changes needed for the child.",
            "Actions from the last review have drifted and there are no dates for the next steps.",
        ],
    },
    Pillar.OVERSIGHT: {
        "strong": [
            "Supervision is monthly and reflective; the manager's decisions are clear on the file.",
            "The team manager has tested the plan and set clear expectations for timescales.",
        ],
        "weak": [
            "Supervision has been irregular during a period of staff change.",
            "Management oversight is recorded but does not challenge drift in the plan.",
        ],
    },
}
SHOW_ME = {
    "strong": [
        "Case notes are up to date and written to the child.",
        "Direct work and the child's own drawings are uploaded to the record.",
        "The chronology is current and the plan is on the file.",
        "Supervision notes show reflection and clear actions.",
    ],
    "weak": [
        "Several visits are not yet written up.",
        "The record does not show the direct work the practitioner described.",
        "The chronology stops some months ago.",
        "Supervision notes are brief and do not record decisions.",
    ],
}
STRENGTHS = [
    "A warm, trusting relationship with the child; the child's voice runs through the record.",
    "Clear, analytical assessment that uses the family's history well.",
    "Good multi-agency working, especially with school and health visiting.",
    "The practitioner knows the child well and could describe their lived experience in detail.",
    "Fathers and wider family were actively included in planning.",
    "Creative direct work tailored to the child's age and communication needs.",
]
AREAS_FOR_DEVELOPMENT = [
    "Update the chronology and write up recent visits so the record reflects the work.",
    "Make the plan SMART: what needs to change, by when, and how we will know.",
    "See the child alone more often and record their wishes and feelings in their own words.",
    "Consider identity, culture and language more explicitly in the assessment.",
    "Involve the child's father in assessment and planning.",
    "Supervision should record the reasons for decisions and review drift in the plan.",
]
RECOMMENDATIONS = [
    "Update the assessment to reflect the current household and the risks now identified.",
    "Complete direct work with the child and record their wishes and feelings.",
    "Hold a core group meeting to review the plan and agree SMART actions.",
    "Bring the chronology up to date.",
    "Contact the child's father and include him in the plan.",
    "Discuss the case in supervision and record the management decision on next steps.",
    "Refer to the Family Group Conference service.",
]
# How the register's actions stand (recommendations due before today / due later), with the
# notes owners write when they close one.
PROGRESS_OF_DUE = {"done": 0.45, "not_achieved": 0.08, "in_progress": 0.17, "open": 0.30}
PROGRESS_OF_NOT_YET_DUE = {"done": 0.15, "in_progress": 0.35, "open": 0.50}
DONE_NOTES = [
    "Done and recorded on the child's file; discussed with the family.",
    "Chronology brought up to date and checked in supervision.",
    "Core group held; the plan now has SMART actions with owners and dates.",
    "Father contacted and invited to the next review; he attended.",
]
NOT_ACHIEVED_NOTES = [
    "The case closed before the action could be taken; passed to the universal services.",
    "The family moved out of the area; the receiving authority was told of the recommendation.",
]
QUOTES = {
    Respondent.CHILD: [
        "She listens to me and explains things.",
        "I know why they come, it's to help at home.",
        "I'd like to see my brother more.",
        "I didn't really know who to ask about things.",
    ],
    Respondent.PARENT_CARER: [
        "For the first time I feel someone has listened to us.",
        "Things are calmer at home since the plan started.",
        "I wasn't always told what was happening next.",
        "The worker is honest with me, even when it's hard to hear.",
    ],
    Respondent.PARTNER: [
        "Communication has been good and we are invited to every meeting.",
        "We would value being updated sooner when plans change.",
        "The social worker has a clear understanding of the child's needs.",
    ],
}
NOT_SPOKEN = {
    Respondent.CHILD: ["The child is pre-verbal.", "The young person declined to take part."],
    Respondent.PARENT_CARER: ["Parent did not respond to calls.", "Not appropriate at this stage of proceedings."],
    Respondent.PARTNER: ["No reply before the evaluation was completed."],
}
MODERATION_RATIONALE = {
    "agreed": [
        "Evidence in the record supports the evaluator's judgement.",
        "Panel agreed: the grade is a fair best fit across the four pillars.",
    ],
    "raised": [
        "Direct work on file shows the child's voice more strongly than the evaluation credits.",
        "Recent improvement in planning supports the higher grade.",
    ],
    "lowered": [
        "Gaps in management oversight mean the work is not yet good.",
        "The assessment is out of date; the panel judged the grade too generous.",
    ],
}
REVISIT_NOTES = {
    Answer.YES: "Done, and recorded on the child's file.",
    Answer.PARTLY: "Started; the record shows part of it done.",
    Answer.NO: "Not done; no record of it on the file.",
}


PANEL_NOTES = [
    "Looked first at every Inadequate and Outstanding grade, then the random share.",
    "The rest of the sample, and evaluations the Practice Hub added.",
]


def _moved(grade: str, direction: str) -> str:
    """One step up the scale (raised) or down (lowered), where there is a step to take."""
    rank = GRADES.index(grade)
    if direction == "raised" and rank > 0:
        return GRADES[rank - 1]
    if direction == "lowered" and rank < len(GRADES) - 1:
        return GRADES[rank + 1]
    return grade


AGE_BANDS = ["Under 1", "1–4", "5–10", "11–15", "16–17"]
GENDERS = ["Female", "Male", "Male", "Female", "Non-binary"]
ETHNICITIES = ["White British", "White British", "Black African", "Black Caribbean", "Mixed", "Asian", "Other"]


@dataclass
class Summary:
    users: int = 0
    service_areas: int = 0
    teams: int = 0
    cycles: int = 0
    evaluations: int = 0
    completed: int = 0
    moderated: int = 0
    revisits: int = 0
    already_loaded: bool = False
    quarters: list[str] = field(default_factory=list)


def demo_is_loaded() -> bool:
    return User.objects.filter(username=DEMO_MARKER_USERNAME).exists()


@transaction.atomic
def demo_load(*, today: dt.date | None = None, seed: int = DEMO_SEED) -> Summary:
    """Load the demo once; a second call finds the marker account and adds nothing."""
    if demo_is_loaded():
        _give_demo_authenticators()
        return Summary(already_loaded=True)
    today = today or timezone.localdate()
    rng = random.Random(seed)  # repeatable demo data from a seed, never a secret  # nosec B311
    summary = Summary()
    teams = _load_organisation(summary)
    people = _create_people(teams, summary)
    _Builder(rng=rng, today=today, teams=teams, people=people, summary=summary).build()
    return summary


def _load_organisation(summary: Summary) -> dict[tuple[str, str], Team]:
    """The fixture is in Django's format (so `loaddata fixtures/organisation.json` works too), but rows are
    matched by name here, so an organisation that already exists is kept, not overwritten."""
    rows = json.loads(ORGANISATION_FIXTURE.read_text(encoding="utf-8"))
    area_names = {row["pk"]: row["fields"]["name"] for row in rows if row["model"] == "pqa.servicearea"}
    areas = {}
    for name in area_names.values():
        areas[name], created = ServiceArea.objects.get_or_create(name=name)
        summary.service_areas += created
    teams = {}
    for row in rows:
        if row["model"] != "pqa.team":
            continue
        area = areas[area_names[row["fields"]["service_area"]]]
        team, created = Team.objects.get_or_create(service_area=area, name=row["fields"]["name"])
        summary.teams += created
        teams[(area.name, team.name)] = team
    return teams


def _create_people(teams: dict[tuple[str, str], Team], summary: Summary) -> dict[str, User]:
    # One hash for every account: hashing a dozen times would cost seconds for nothing.
    password = make_password(DEMO_PASSWORD)
    people = {}
    for person in PEOPLE:
        is_admin = person.role == Role.ADMINISTRATOR
        user, created = User.objects.get_or_create(
            username=person.username,
            defaults={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "role": person.role,
                "team": teams[person.team] if person.team else None,
                "is_staff": is_admin,
                "is_superuser": is_admin,
                "password": password,
            },
        )
        summary.users += created
        people[person.username] = user
    _give_demo_authenticators()
    return people


def _give_demo_authenticators() -> None:
    """Every role needs a second factor: each demo account without an authenticator gets the
    demo one, whose code the code page shows in debug mode, so a demo needs no phone. Run on
    every load, so demo data loaded before every role needed one is given them too."""
    usernames = [person.username for person in PEOPLE]
    for user in User.objects.filter(username__in=usernames).exclude(totpdevice__confirmed=True):
        if role_requires_two_factor(user):
            TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)


class _Builder:
    def __init__(self, *, rng, today, teams, people, summary):
        self.rng = rng
        self.today = today
        self.teams = teams
        self.team_list = list(teams.values())
        self.people = people
        self.summary = summary
        self.hub = people["demo-practice-hub"]
        self.moderator = people["demo-moderator"]
        self.evaluators = [user for name, user in people.items() if name.startswith("demo-evaluator")]
        self.used_child_refs: set[str] = set()
        self.grade_deck: list[str] = []
        self.moderated_per_evaluator: dict[str, int] = {}
        # Moderation draws from its own sequence, so the evaluations are those of the same seed
        # whatever the sample does.
        self.moderation_rng = random.Random(rng.random())  # nosec B311 - repeatable demo data
        # Revisits draw from their own sequence too, so other parts of the demo do not change them.
        self.revisit_rng = random.Random(rng.random())  # nosec B311 - repeatable demo data

    # --- Cycles --------------------------------------------------------------------------

    def build(self) -> None:
        current = Quarter.containing(self.today)
        past = [current.previous()]
        for _ in range(3):
            past.insert(0, past[0].previous())
        for index, quarter in enumerate(past):
            cycle = services.cycle_open(quarter=str(quarter), type=CycleType.TRUST_WIDE, actor=self.hub)
            self._run_closed_cycle(
                cycle,
                quarter,
                teams=self._trust_wide_teams(self.rng.randint(24, 30)),
                latest_closed=index == len(past) - 1,
            )
            service = SPE_SERVICE_BY_QUARTER_INDEX.get(index)
            if service:
                spe = services.cycle_open(quarter=str(quarter), type=CycleType.SERVICE, title=service, actor=self.hub)
                area_teams = [team for (area, _), team in self.teams.items() if area == service]
                self._run_closed_cycle(spe, quarter, teams=[self.rng.choice(area_teams) for _ in range(8)])
            self.summary.quarters.append(str(quarter))
        self._run_revisit_cycle(past[-1])
        self._run_open_cycle(current)
        self._progress_recommendations()

    def _trust_wide_teams(self, count: int) -> list[Team]:
        # Every quarter samples across the trust, and the demo team manager's team is always in it.
        chosen = [self.teams[DEMO_TEAM], self.teams[DEMO_TEAM]]
        chosen += [self.rng.choice(self.team_list) for _ in range(count - len(chosen))]
        return chosen

    def _allocate(self, cycle: Cycle, teams: list[Team], due_dates: list[dt.date], evaluators: list[User]):
        requests = [
            services.AllocationRequest(
                child_ref=self._child_ref(),
                practitioner=f"SW-{self.rng.randint(1000, 1999)}",
                team=team,
                evaluator=evaluator,
                due_date=due,
            )
            for team, due, evaluator in zip(teams, due_dates, evaluators, strict=True)
        ]
        evaluations = services.evaluations_allocate(cycle=cycle, requests=requests, actor=self.hub)
        self.summary.evaluations += len(evaluations)
        return evaluations

    def _child_ref(self) -> str:
        while True:
            ref = f"CHILD{self.rng.randint(100000, 999999)}"
            if ref not in self.used_child_refs:
                self.used_child_refs.add(ref)
                return ref

    def _run_closed_cycle(
        self, cycle: Cycle, quarter: Quarter, *, teams: list[Team], latest_closed: bool = False
    ) -> None:
        self.summary.cycles += 1
        due = min(quarter.end, quarter.start + dt.timedelta(days=56))
        evaluators = [self.evaluators[index % len(self.evaluators)] for index in range(len(teams))]
        self.rng.shuffle(evaluators)
        evaluations = self._allocate(cycle, teams, [due] * len(teams), evaluators)
        latest = min(quarter.end, self.today)
        for evaluation in evaluations:
            roll = self.rng.random()
            if roll < 0.80:
                day = self._day_between(quarter.start + dt.timedelta(days=7), latest)
                self._complete(evaluation, day)
            elif roll < 0.90:
                self._draft(evaluation, self._day_between(quarter.start + dt.timedelta(days=7), latest))
            # else: allocated and never started
        services.cycle_close(cycle=cycle, actor=self.hub)
        self._moderate_cycle(cycle, quarter, latest=latest_closed and cycle.type == CycleType.TRUST_WIDE)

    def _run_open_cycle(self, quarter: Quarter) -> None:
        """The current quarter's cycle stays open: work allocated, in progress, overdue, and
        some already returned, with a share for demo-evaluator so 'My evaluations' has a list."""
        cycle = services.cycle_open(quarter=str(quarter), type=CycleType.TRUST_WIDE, actor=self.hub)
        self.summary.cycles += 1
        me = self.people["demo-evaluator"]
        later = self.today + dt.timedelta(days=21)
        earlier = self.today - dt.timedelta(days=5)
        # (evaluator, due date, what has happened so far)
        plan = [
            (me, later, "allocated"),
            (me, later, "allocated"),
            (me, later, "draft"),
            (me, later, "draft"),
            (me, earlier, "allocated"),  # overdue, never started
            (me, earlier, "draft"),  # overdue, half written
            (me, later, "completed"),
        ]
        for index in range(14):
            evaluator = self.evaluators[1 + index % (len(self.evaluators) - 1)]
            plan.append((evaluator, later if index % 5 else earlier, ["allocated", "draft", "completed"][index % 3]))
        teams = self._trust_wide_teams(len(plan))
        evaluations = self._allocate(cycle, teams, [due for _, due, _ in plan], [who for who, _, _ in plan])
        for evaluation, (_, _, state) in zip(evaluations, plan, strict=True):
            day = self._day_between(quarter.start, self.today)
            if state == "completed":
                self._complete(evaluation, day)
            elif state == "draft":
                self._draft(evaluation, day)

    def _day_between(self, first: dt.date, last: dt.date) -> dt.date:
        if last <= first:
            return last
        return first + dt.timedelta(days=self.rng.randint(0, (last - first).days))

    # --- Revisits (docs/revisits.md) -----------------------------------------------------

    def _run_revisit_cycle(self, quarter: Quarter) -> None:
        """The latest closed quarter revisits children of the one before: proposed as the cycle
        opened, allocated, most returned with findings and grades that moved, then closed."""
        cycle = services.cycle_open(quarter=str(quarter), type=CycleType.REVISIT, actor=self.hub)
        cycle = services.cycle_set_revisit_share(cycle=cycle, revisit_share=20, actor=self.hub)
        self.summary.cycles += 1
        proposal = selectors.revisit_proposal(cycle, today=quarter.start)
        originals = [candidate.evaluation for candidate in proposal.candidates]
        if not originals:
            services.cycle_close(cycle=cycle, actor=self.hub)
            return
        revisits = services.revisits_allocate(
            cycle=cycle,
            originals=originals,
            evaluators=self.evaluators,
            due_date=min(quarter.end, quarter.start + dt.timedelta(days=56)),
            actor=self.hub,
        )
        self.summary.evaluations += len(revisits)
        latest = min(quarter.end, self.today)
        for revisit in revisits:
            if self.revisit_rng.random() < 0.85:
                self._complete_revisit(revisit, self._day_between(quarter.start + dt.timedelta(days=14), latest))
        services.cycle_close(cycle=cycle, actor=self.hub)
        # Revisits are graded like any evaluation, so their grades are moderated like any other.
        self._moderate_cycle(cycle, quarter, latest=False)

    def _moved(self, grade: str, p_better: float) -> str:
        rank = GRADES.index(grade)
        roll = self.revisit_rng.random()
        if roll < p_better and rank > 0:
            return GRADES[rank - 1]
        if roll > 0.93 and rank < len(GRADES) - 1:
            return GRADES[rank + 1]
        return grade

    def _complete_revisit(self, revisit: Evaluation, day: dt.date) -> None:
        original = revisit.revisit_of
        findings = {}
        done_count = 0
        recommendations = list(original.recommendations.order_by("pk"))
        for recommendation in recommendations:
            done = self.revisit_rng.choices([Answer.YES, Answer.PARTLY, Answer.NO], weights=[60, 25, 15])[0]
            difference = {
                Answer.YES: self.revisit_rng.choices([Answer.YES, Answer.PARTLY], weights=[75, 25])[0],
                Answer.PARTLY: self.revisit_rng.choices(list(Answer), weights=[20, 60, 20])[0],
                Answer.NO: Answer.NO,
            }[done]
            done_count += done == Answer.YES
            findings[recommendation.pk] = {
                "done": done,
                "made_difference": difference,
                "note": REVISIT_NOTES[done],
            }
        # Work that was done tends to lift the grades; none, or nothing to check, less so.
        p_better = 0.7 if recommendations and done_count >= len(recommendations) / 2 else 0.35
        overall = self._moved(original.overall_grade, p_better)
        pillars = {}
        for item in original.pillar_grades.all():
            grade = self._moved(item.grade or overall, p_better)
            band = "weak" if grade in WEAK else "strong"
            pillars[item.pillar] = {
                "tell_me": self.revisit_rng.choice(TELL_ME[item.pillar][band]),
                "show_me": self.revisit_rng.choice(SHOW_ME[band]),
                "grade": grade,
            }
        fields = {
            "evaluation_date": day,
            "overall_grade": overall,
            **{question: self._answer(p_yes[overall]) for question, p_yes in HEADLINE_P_YES.items()},
            "edi_considered": self._answer(0.8),
            "fathers_included": self.revisit_rng.choices(list(FathersIncluded), weights=[60, 25, 15])[0],
            "strengths": " ".join(self.revisit_rng.sample(STRENGTHS, 1)),
            "areas_for_development": " ".join(self.revisit_rng.sample(AREAS_FOR_DEVELOPMENT, 1)),
        }
        revisit = services.evaluation_save_draft(
            evaluation=revisit,
            actor=revisit.evaluator,
            expected_version=None,
            fields=fields,
            pillars=pillars,
            feedback=self._feedback(overall),
            recommendations=self._recommendations(overall, day, revisit.team),
            findings=findings,
        )
        services.evaluation_submit(evaluation=revisit, actor=revisit.evaluator)
        self.summary.completed += 1
        self.summary.revisits += 1

    # --- The sit-alongside conversation --------------------------------------------------

    def _pillar(self, pillar: str, overall: str) -> dict[str, str]:
        grade = overall
        roll = self.rng.random()
        rank = GRADES.index(overall)
        if roll < 0.15 and rank > 0:
            grade = GRADES[rank - 1]
        elif roll < 0.30 and rank < len(GRADES) - 1:
            grade = GRADES[rank + 1]
        band = "weak" if grade in WEAK else "strong"
        return {
            "tell_me": self.rng.choice(TELL_ME[pillar][band]),
            "show_me": self.rng.choice(SHOW_ME[band]),
            "grade": grade,
        }

    def _answer(self, p_yes: float) -> str:
        roll = self.rng.random()
        if roll < p_yes:
            return Answer.YES
        return Answer.PARTLY if roll < p_yes + (1 - p_yes) * 0.7 else Answer.NO

    def _feedback(self, overall: str) -> dict[str, dict]:
        feedback = {}
        for respondent, p_spoken in (
            (Respondent.CHILD, 0.7),
            (Respondent.PARENT_CARER, 0.8),
            (Respondent.PARTNER, 0.6),
        ):
            if self.rng.random() >= p_spoken:
                feedback[respondent] = {
                    "spoken_to": False,
                    "not_spoken_reason": self.rng.choice(NOT_SPOKEN[respondent]),
                }
                continue
            p_yes = 0.6 if overall in WEAK else 0.9
            feedback[respondent] = {
                "spoken_to": True,
                "understood_why": self._answer(p_yes),
                "involved_in_decisions": self._answer(p_yes - 0.1),
                "needs_understood": self._answer(p_yes),
                "quote": self.rng.choice(QUOTES[respondent]),
            }
        return feedback

    def _recommendations(self, overall: str, day: dt.date, team: Team) -> list[dict]:
        # Every weak grade needs at least one (evaluation_submit insists); some good ones have one.
        if overall in WEAK:
            count = self.rng.randint(1, 3 if overall == Grade.INADEQUATE else 2)
        else:
            count = 1 if self.rng.random() < 0.3 else 0
        return [
            {
                "action": action,
                "owner": self.rng.choice(self._owners_for(team)),
                "due_date": day + dt.timedelta(days=self.rng.choice([14, 28, 42, 56])),
            }
            for action in self.rng.sample(RECOMMENDATIONS, count)
        ]

    def _next_grade(self) -> str:
        # Dealt from shuffled decks of 40 in the target proportions, so a year of ~110 returns
        # lands near them instead of wherever a hundred dice rolls happen to fall.
        if not self.grade_deck:
            self.grade_deck = [grade for grade, count in zip(GRADES, GRADE_DECK, strict=True) for _ in range(count)]
            self.rng.shuffle(self.grade_deck)
        return self.grade_deck.pop()

    def _complete(self, evaluation: Evaluation, day: dt.date) -> None:
        overall = self._next_grade()
        strong = overall not in WEAK
        fields = {
            "evaluation_date": day,
            "overall_grade": overall,
            **{question: self._answer(p_yes[overall]) for question, p_yes in HEADLINE_P_YES.items()},
            "edi_considered": self._answer(0.85 if strong else 0.6),
            "fathers_included": self.rng.choices(list(FathersIncluded), weights=[60, 25, 15])[0],
            "strengths": " ".join(self.rng.sample(STRENGTHS, 2)),
            "areas_for_development": " ".join(self.rng.sample(AREAS_FOR_DEVELOPMENT, 1 if strong else 2)),
            "child_age_band": self.rng.choice(AGE_BANDS),
            "child_gender": self.rng.choice(GENDERS),
            "child_ethnicity": self.rng.choice(ETHNICITIES),
        }
        if overall == Grade.INADEQUATE and self.rng.random() < 0.3:
            fields["safeguarding_concern"] = True
            fields["safeguarding_description"] = (
                "A new adult with a history of violence is living in the household and this is not in the "
                "assessment or plan. The practitioner and team manager were told during the evaluation."
            )
        evaluation = services.evaluation_save_draft(
            evaluation=evaluation,
            actor=evaluation.evaluator,
            expected_version=None,
            fields=fields,
            pillars={pillar: self._pillar(pillar, overall) for pillar in Pillar.values},
            feedback=self._feedback(overall),
            recommendations=self._recommendations(overall, day, evaluation.team),
        )
        evaluation = services.evaluation_submit(evaluation=evaluation, actor=evaluation.evaluator)
        self.summary.completed += 1

    def _draft(self, evaluation: Evaluation, day: dt.date) -> None:
        overall = self.rng.choices(GRADES, weights=GRADE_WEIGHTS)[0]
        services.evaluation_save_draft(
            evaluation=evaluation,
            actor=evaluation.evaluator,
            expected_version=None,
            fields={"evaluation_date": day, "child_age_band": self.rng.choice(AGE_BANDS)},
            pillars={pillar: self._pillar(pillar, overall) for pillar in Pillar.values[:2]},
        )

    # --- Moderation ----------------------------------------------------------------------

    def _moderate_cycle(self, cycle: Cycle, quarter: Quarter, *, latest: bool) -> None:
        """Draw the closed cycle's sample, hold two panels and moderate it blind, then confirm.
        In the latest closed trust-wide cycle a few are left graded blind but not confirmed,
        and a couple not yet graded, so the moderator's queue has work in it."""
        sample = services.moderation_sample_draw(
            cycle=cycle, share=MODERATION_SHARE, actor=self.hub, rng=self.moderation_rng
        )
        # The Practice Hub adds more of the generous evaluator's work, as it would once the
        # figures raised a question about their grading.
        generous = cycle.evaluations.filter(
            evaluator__username=GENEROUS_EVALUATOR, status=Evaluation.Status.RETURNED, moderation__isnull=True
        ).exclude(overall_grade=Grade.INADEQUATE)
        sample += [
            services.moderation_sample_add(evaluation=evaluation, actor=self.hub)
            for evaluation in generous.order_by("reference")[:3]
        ]
        if not sample:
            return
        first_panel = min(quarter.end + dt.timedelta(days=21), self.today - dt.timedelta(days=2))
        half = (len(sample) + 1) // 2
        for index, (day, group) in enumerate(
            ((first_panel, sample[:half]), (first_panel + dt.timedelta(days=1), sample[half:]))
        ):
            if group:
                services.moderation_panel_create(
                    cycle=cycle,
                    held_on=min(day, self.today),
                    members=[self.moderator, self.hub],
                    notes=PANEL_NOTES[index],
                    moderations=group,
                    actor=self.hub,
                )
        not_graded, not_confirmed = (2, 3) if latest else (0, 0)
        sample.sort(key=lambda item: item.pk)
        for position, moderation in enumerate(sample):
            left = len(sample) - position
            if left <= not_graded:
                continue
            self._grade_blind(moderation)
            if left <= not_graded + not_confirmed:
                continue
            services.moderation_confirm(moderation=moderation, actor=self.moderator)
            self.summary.moderated += 1

    def _grade_blind(self, moderation) -> None:
        evaluation = Evaluation.objects.get(pk=moderation.evaluation_id)
        evaluator = evaluation.evaluator.username
        seen = self.moderated_per_evaluator.get(evaluator, 0)
        self.moderated_per_evaluator[evaluator] = seen + 1
        if evaluator == GENEROUS_EVALUATOR:
            direction = "lowered" if seen % 5 < 3 else "agreed"
        else:
            direction = {4: "raised", 9: "lowered"}.get(seen % 10, "agreed")
        overall = _moved(evaluation.overall_grade, direction)
        why = direction if overall != evaluation.overall_grade else "agreed"
        theirs = dict(evaluation.pillar_grades.values_list("pillar", "grade"))
        # Which pillars move with the overall grade, as the rationales say: the child's voice and
        # the plan when raised; the assessment and management oversight when lowered.
        moving = {
            "raised": {Pillar.CHILDS_VOICE, Pillar.PLANNING},
            "lowered": {Pillar.ASSESSMENT, Pillar.OVERSIGHT},
        }.get(why, set())
        pillars = {
            pillar: _moved(theirs[pillar], why) if pillar in moving else theirs[pillar] for pillar in Pillar.values
        }
        services.moderation_grade_blind(
            moderation=moderation,
            actor=self.moderator,
            overall_grade=overall,
            pillar_grades=pillars,
            rationale=self.moderation_rng.choice(MODERATION_RATIONALE[why]),
        )

    # --- The recommendations register -------------------------------------------------------

    def _owners_for(self, team: Team) -> list[User]:
        """Demo accounts who could own an action of this team: its manager and people when the
        demo has them, else the demo team manager and the evaluators (owners are accounts)."""
        own = [user for user in self.people.values() if user.team_id == team.pk and user.is_active]
        if own:
            return own
        return [self.people["demo-team-manager"], *self.evaluators[:3]]

    def _progress_recommendations(self) -> None:
        """Owners move their actions along through the same service as the "my actions" page:
        many closed, some in progress, and a share left overdue across teams."""
        rng = random.Random(self.rng.random())  # nosec B311 - demo data
        items = (
            Recommendation.objects.filter(evaluation__status=Evaluation.Status.RETURNED)
            .select_related("evaluation", "owner")
            .order_by("pk")
        )
        for item in items:
            due = item.due_date < self.today
            weights = PROGRESS_OF_DUE if due else PROGRESS_OF_NOT_YET_DUE
            status = rng.choices(list(weights), weights=list(weights.values()))[0]
            start = item.evaluation.evaluation_date or item.due_date
            tabled = start + dt.timedelta(days=rng.randint(3, 20)) if rng.random() < 0.6 else None
            tabled = tabled if tabled and tabled <= self.today else None
            if status == "open" and tabled is None:
                continue
            note, completed_on = "", None
            if status in Recommendation.CLOSED_STATUSES:
                note = rng.choice(DONE_NOTES if status == "done" else NOT_ACHIEVED_NOTES)
                completed_on = self._day_between(start, min(self.today, item.due_date + dt.timedelta(days=14)))
            services.recommendation_set_status(
                recommendation=item,
                status=status,
                note=note,
                completed_on=completed_on,
                tabled_on=tabled,
                actor=item.owner,
            )
