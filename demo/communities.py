"""Build Practica's demo: professional groups, ~300 people, and communities of every visibility.

Everything is planned first from one seeded random generator, then applied through the real
services (``communities.services``), skipping what already exists: the plan never depends on
the database, so a second run finds every object in place and changes nothing.

Demo people are marked by their email domain (``DEMO_EMAIL_DOMAIN``) and demo communities by
their slugs (``COMMUNITIES``); ``demo_reset`` deletes only those.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from communities import permissions, services
from communities.models import Community, Invitation, Membership, MembershipEvent, display_name
from demo.models import SeedResume
from demo.timeline import writers_let_in

User = get_user_model()
Visibility = Community.Visibility
Role = Membership.Role
State = Membership.State

SEED = 20240917
DEMO_EMAIL_DOMAIN = "demo.practica.test"  # .test never delivers; it also marks demo people
DEMO_PASSWORD = "practica-demo"
ADMIN_USERNAME = "admin"
# The admin is a person too: names show beside everything it does (issue #13, item 10).
ADMIN_FIRST_NAME, ADMIN_LAST_NAME = "Noor", "Lindqvist"
DEMO_USERNAME = "demo"

# --- professional groups: (slug, name, description, how many demo people) --------------------

GROUPS = [
    ("nurse", "Nurse", "Registered and specialist nurses", 40),
    ("physician", "Physician", "Doctors in hospital and general practice", 25),
    ("allied-health", "Allied health", "Physiotherapists, dietitians, OTs, pharmacists", 25),
    ("teacher", "Teacher", "Primary and secondary school teachers", 45),
    ("teaching-assistant", "Teaching assistant", "Classroom and learning support", 20),
    ("school-leader", "School leader", "Heads, deputies and heads of department", 15),
    ("software-engineer", "Software engineer", "People who build software", 40),
    ("sre", "Site reliability engineer", "People who keep services running", 30),
    ("data-scientist", "Data scientist", "Analysts, statisticians and ML practitioners", 25),
    ("researcher", "Researcher", "Academic and applied researchers", 20),
    ("student", "Student", "Students and trainees in any field", 15),
]

OCCUPATIONS = {
    "nurse": [
        "Tissue viability nurse",
        "Ward sister",
        "District nurse",
        "Staff nurse, surgical ward",
        "Palliative care nurse specialist",
        "Practice nurse",
    ],
    "physician": [
        "Consultant in palliative medicine",
        "General practitioner",
        "Registrar in dermatology",
        "Consultant geriatrician",
        "Foundation doctor",
    ],
    "allied-health": [
        "Physiotherapist",
        "Occupational therapist",
        "Dietitian",
        "Clinical pharmacist",
        "Podiatrist",
    ],
    "teacher": [
        "Physics teacher",
        "Science teacher",
        "Mathematics teacher",
        "Year 4 class teacher",
        "English teacher",
        "Early-career teacher",
    ],
    "teaching-assistant": [
        "Teaching assistant",
        "Higher-level teaching assistant",
        "Learning support assistant",
    ],
    "school-leader": [
        "Headteacher",
        "Deputy head",
        "Head of science",
        "Special educational needs coordinator",
    ],
    "software-engineer": [
        "Backend engineer",
        "Frontend engineer",
        "Platform engineer",
        "Staff engineer",
        "Mobile developer",
    ],
    "sre": [
        "Site reliability engineer",
        "Senior SRE",
        "Production engineer",
        "Incident manager",
    ],
    "data-scientist": [
        "Data scientist",
        "Clinical data analyst",
        "Machine learning engineer",
        "Statistician",
    ],
    "researcher": [
        "Research fellow, health services",
        "Lecturer in education",
        "Postdoctoral researcher",
        "Research software engineer",
    ],
    "student": [
        "Student nurse",
        "PGCE student",
        "Computer science student",
        "Medical student",
    ],
}

ORGANISATIONS = {
    "health": [
        "Northgate NHS Foundation Trust",
        "St Anne's Hospice",
        "Riverside Community Health",
        "Harbour Medical Practice",
        "Westfield University Hospital",
        "Ashby Primary Care Network",
    ],
    "education": [
        "Kingsmead Academy",
        "Hollybank Primary School",
        "St Columba's High School",
        "Brookfield Sixth Form College",
        "Eastside Learning Trust",
        "Millbrook Community School",
    ],
    "tech": [
        "Larchwood Payments",
        "Cloudberry Hosting",
        "Tidewater Logistics",
        "Quillmate",
        "Northwind Analytics",
        "OpenGrid Energy",
    ],
    "research": [
        "University of Westfield",
        "Institute for Health Evaluation",
        "Centre for Education Research",
        "Open Research Software Lab",
    ],
}

GROUP_SECTOR = {
    "nurse": "health",
    "physician": "health",
    "allied-health": "health",
    "teacher": "education",
    "teaching-assistant": "education",
    "school-leader": "education",
    "software-engineer": "tech",
    "sre": "tech",
    "data-scientist": "tech",
    "researcher": "research",
    "student": "research",
}

LOCATIONS = [
    "Leeds",
    "Manchester",
    "Bristol",
    "Glasgow",
    "Cardiff",
    "Belfast",
    "Norwich",
    "Newcastle",
    "Brighton",
    "Sheffield",
    "Dublin",
    "Amsterdam",
    "Lisbon",
    "Toronto",
    "Remote",
]

EXPERTISE = {
    "nurse": [
        "wound care",
        "pressure ulcers",
        "leg ulcers",
        "negative pressure therapy",
        "dressings",
        "infection control",
        "end-of-life care",
        "symptom control",
        "diabetic foot",
        "patient education",
    ],
    "physician": [
        "palliative medicine",
        "pain management",
        "dermatology",
        "frailty",
        "diabetic foot",
        "antibiotic stewardship",
        "clinical audit",
        "advance care planning",
    ],
    "allied-health": [
        "rehabilitation",
        "nutrition",
        "medicines optimisation",
        "falls prevention",
        "offloading",
        "patient education",
        "symptom control",
    ],
    "teacher": [
        "physics",
        "practical work",
        "assessment",
        "behaviour management",
        "lesson planning",
        "misconceptions",
        "electricity",
        "forces",
        "mentoring",
        "retrieval practice",
    ],
    "teaching-assistant": [
        "reading support",
        "SEND",
        "small-group intervention",
        "behaviour management",
        "phonics",
    ],
    "school-leader": [
        "curriculum design",
        "staff wellbeing",
        "mentoring",
        "assessment",
        "timetabling",
        "SEND",
    ],
    "software-engineer": [
        "Python",
        "Django",
        "PostgreSQL",
        "TypeScript",
        "API design",
        "testing",
        "code review",
        "Kubernetes",
        "accessibility",
    ],
    "sre": [
        "SLOs",
        "on-call",
        "incident response",
        "postmortems",
        "Kubernetes",
        "observability",
        "capacity planning",
        "Terraform",
        "PostgreSQL",
    ],
    "data-scientist": [
        "statistics",
        "causal inference",
        "Python",
        "R",
        "clinical data",
        "forecasting",
        "data visualisation",
        "machine learning",
    ],
    "researcher": [
        "qualitative methods",
        "systematic reviews",
        "statistics",
        "research software",
        "teacher education",
        "health services research",
        "R",
    ],
    "student": [
        "revision",
        "placements",
        "Python",
        "clinical skills",
        "lesson planning",
    ],
}

BIOS = {
    "health": [
        "{years} years on the wards. I care most about getting the basics right every shift.",
        "Community-based clinician; I spend my days in people's homes and my evenings reading.",
        "Interested in how small changes in practice spread from one team to the next.",
        "I teach students on placement and learn as much from them as they do from me.",
        "Recently moved into a specialist role and keen to learn from people further along.",
    ],
    "education": [
        "Teaching for {years} years. Always looking for a better way to explain the hard bits.",
        "I collect practical activities that work with 30 teenagers and one set of equipment.",
        "Mentor to early-career colleagues; happy to share planning and talk through lessons.",
        "I care about the pupils who find school hardest, and about the adults who support them.",
        "Moved into teaching from industry; still surprised every week.",
    ],
    "tech": [
        "{years} years of building and running services; I write the postmortem nobody wants to.",
        "I like boring technology, good alerts and teams that sleep at night.",
        "Working on making the data we already have answer the questions people actually ask.",
        "Ex-consultant, now happily in one codebase long enough to see my mistakes.",
        "I mentor juniors and run our internal reading group.",
    ],
    "research": [
        "I study how professionals learn from each other at work.",
        "Mixed-methods researcher; I turn interviews and spreadsheets into something usable.",
        "Part-time student, part-time practitioner; this is where I ask the naive questions.",
        "I build the software behind other people's research and try to keep it maintainable.",
    ],
}

FIRST_NAMES = [
    "Amelia", "Oliver", "Aisha", "Mohammed", "Sofia", "Liam", "Chloe", "Noah", "Priya",
    "Jack", "Grace", "Kwame", "Isla", "Mateo", "Hannah", "Yusuf", "Emily", "Arjun",
    "Freya", "Daniel", "Leah", "Tomasz", "Ava", "Samuel", "Zara", "Ethan", "Niamh",
    "Ravi", "Maya", "Luca", "Ines", "Owen", "Fatima", "Callum", "Mei", "Rhys", "Chiara",
    "Joseph", "Esther", "Kofi", "Sara", "Finn", "Nadia", "Harvey", "Ayesha", "Ben",
    "Rosa", "Dmitri", "Erin", "Tariq", "Lucy", "Jonas", "Imani", "Patrick", "Elena",
    "Hugo", "Saoirse", "Wei", "Julia", "Marcus",
]  # fmt: skip

LAST_NAMES = [
    "Hughes", "Patel", "Okafor", "Murphy", "Nowak", "Campbell", "Khan", "Williams",
    "Silva", "Jones", "Brennan", "Chen", "Taylor", "Ahmed", "Rossi", "Evans", "Mensah",
    "Davies", "O'Neill", "Kowalski", "Singh", "Walker", "Haddad", "Robinson", "Fraser",
    "Nakamura", "Wright", "Osei", "Kelly", "Moreau", "Thompson", "Ali", "Bianchi",
    "Lewis", "Byrne", "Andersen", "Clarke", "Rahman", "Fischer", "Morgan", "Costa",
    "Shaw", "Ibrahim", "Doyle", "Novak", "Hall", "Garcia", "Reid", "Yilmaz", "Baker",
]  # fmt: skip

# --- communities -------------------------------------------------------------------------------

REQUEST_MESSAGES = [
    "I've just started in this area and would love to learn from people who've done it longer.",
    "A colleague recommended this group. Happy to share what we've tried in our team.",
    "I'm leading a small improvement project on this and need people to sanity-check ideas.",
    "Been reading the public threads for months; I'd like to join in properly.",
    "New in post and the only one doing this where I work. Hoping to find peers here.",
    "I run our local network on this topic and would like to connect the two groups.",
    "Returning to practice after a career break; keen to catch up on what has changed.",
    "",
]

DECLINE_MESSAGES = [
    "This group is for people working in the field; the open community may suit you better.",
    "We couldn't confirm your role from your profile. Please add it and ask again.",
    "We're keeping the group small for now. Do ask again in a few months.",
]

BAN_REASONS = [
    "Repeated advertising of a commercial product after two warnings.",
    "Shared identifiable patient details; removed after discussion with the moderators.",
]


@dataclass(frozen=True)
class CommunitySpec:
    slug: str
    name: str
    visibility: str
    domain: str
    about: str
    groups: tuple[str, ...]  # the groups most members come from
    size: int  # active members, moderators included
    moderators: int
    pending: int = 0
    declined: int = 0
    left: int = 0
    banned: int = 0
    rejoined: int = 0
    invited: int = 0  # active members who came in through an invitation link (private)
    open_invitations: tuple[str, ...] = ()
    founded_days_ago: int = 360
    # demo member's place here: None, "member", "moderator", "invited"
    demo_role: str | None = None


COMMUNITIES = [
    CommunitySpec(
        slug="learning-from-practice",
        name="Learning from practice",
        visibility=Visibility.OPEN,
        domain="Reflective practice across professions: what we learnt at work this week",
        about=(
            "A place for **anyone who learns on the job** — nurses, teachers, engineers, "
            "researchers — to share one thing that worked (or didn't) and why.\n\n"
            "## How we work\n\n"
            "- Post a short reflection: the situation, what you tried, what happened.\n"
            "- Ask the people in *other* professions how they would have handled it.\n"
            "- Be kind; assume good intent; never share identifiable details of patients, "
            "pupils or customers.\n\n"
            "New here? Introduce yourself and your practice in one paragraph."
        ),
        groups=tuple(slug for slug, *_ in GROUPS),
        size=250,
        moderators=3,
        left=8,
        banned=1,
        rejoined=3,
        founded_days_ago=364,
        demo_role="member",
    ),
    CommunitySpec(
        slug="wound-care-nurses",
        name="Wound care nurses",
        visibility=Visibility.OPEN,
        domain="Assessing, dressing and healing chronic and acute wounds",
        about=(
            "For tissue viability nurses, district nurses and everyone who dresses wounds.\n\n"
            "We discuss **assessment** (TIME, photographs, measuring), **dressing choice**, "
            "leg ulcers and compression, pressure ulcer prevention and negative pressure "
            "therapy.\n\n"
            "> Share the reasoning, not only the product name: what did the wound bed look "
            "like, and why did you choose what you chose?\n\n"
            "Formulary questions are welcome; sales pitches are not."
        ),
        groups=("nurse", "allied-health", "physician"),
        size=70,
        moderators=2,
        left=4,
        rejoined=1,
        founded_days_ago=350,
    ),
    CommunitySpec(
        slug="site-reliability-engineers",
        name="Site reliability engineers",
        visibility=Visibility.OPEN,
        domain="Running reliable services: SLOs, on-call, alerting and capacity",
        about=(
            "Practitioners keeping production healthy.\n\n"
            "Topics: **SLOs and error budgets**, humane on-call rotations, alert hygiene, "
            "capacity planning, database operations and the tooling around all of it.\n\n"
            "1. Say what you run and at what scale when you ask.\n"
            "2. Share dashboards and runbooks as text; screenshots are hard to search.\n"
            "3. Vendor talk is fine when you use the thing yourself.\n"
        ),
        groups=("sre", "software-engineer"),
        size=65,
        moderators=2,
        left=5,
        banned=1,
        rejoined=1,
        founded_days_ago=340,
        demo_role=None,
    ),
    CommunitySpec(
        slug="research-software",
        name="Research software",
        visibility=Visibility.OPEN,
        domain="Writing, testing and sustaining the software behind research",
        about=(
            "Researchers, research software engineers and students who write code for "
            "research.\n\nWe care about *reproducibility*, testing numerical code, packaging, "
            "and getting credit for software. Beginners' questions are very welcome."
        ),
        groups=("researcher", "data-scientist", "software-engineer", "student"),
        size=45,
        moderators=1,
        left=2,
        founded_days_ago=300,
    ),
    CommunitySpec(
        slug="secondary-physics-teachers",
        name="Secondary physics teachers",
        visibility=Visibility.REQUEST,
        domain="Teaching physics to 11–18 year olds: practicals, explanations, misconceptions",
        about=(
            "A working group of physics teachers (specialist or not) in secondary schools.\n\n"
            "## What you'll find\n\n"
            "- Practical work that runs with a real lab and a real timetable\n"
            "- Explanations and analogies that survived contact with Year 9\n"
            "- Common **misconceptions** (forces, electricity, energy) and how we address them\n\n"
            "Anyone can read. To post, ask to join and tell us where and what you teach."
        ),
        groups=("teacher", "school-leader", "teaching-assistant", "student"),
        size=50,
        moderators=2,
        pending=6,
        declined=2,
        left=3,
        founded_days_ago=330,
        demo_role="member",
    ),
    CommunitySpec(
        slug="early-career-teachers",
        name="Early-career teachers",
        visibility=Visibility.REQUEST,
        domain="The first years in the classroom: planning, behaviour, workload and mentoring",
        about=(
            "For teachers in their first three years, their mentors and trainees about to "
            "start.\n\nAsk the questions you would not ask in the staffroom. Mentors: share "
            "what you wish someone had told you.\n\n"
            "*Please keep pupils anonymous — no names, no photos.*"
        ),
        groups=("teacher", "teaching-assistant", "student", "school-leader"),
        size=60,
        moderators=2,
        pending=5,
        declined=1,
        left=4,
        banned=1,
        founded_days_ago=320,
        demo_role="moderator",
    ),
    CommunitySpec(
        slug="clinical-data-science",
        name="Clinical data science",
        visibility=Visibility.REQUEST,
        domain="Turning routine clinical data into evidence clinicians can use",
        about=(
            "Data scientists, clinicians and researchers working on routinely collected "
            "health data.\n\nWe discuss **data quality**, linking datasets, governance, "
            "causal questions from observational data and how to present results to busy "
            "clinical teams."
        ),
        groups=("data-scientist", "physician", "researcher", "nurse"),
        size=40,
        moderators=2,
        pending=4,
        declined=2,
        left=2,
        founded_days_ago=280,
    ),
    CommunitySpec(
        slug="palliative-care-circle",
        name="Palliative care circle",
        visibility=Visibility.PRIVATE,
        domain="Supporting people at the end of life, and each other",
        about=(
            "A closed circle for clinicians in palliative and end-of-life care.\n\n"
            "What is said here stays here: difficult conversations, cases that stayed with "
            "us, symptom control that finally worked. **Members only**; we add people by "
            "invitation or on request after a short conversation with a moderator."
        ),
        groups=("nurse", "physician", "allied-health"),
        size=28,
        moderators=2,
        pending=3,
        declined=1,
        left=1,
        invited=4,
        open_invitations=(
            "For the new hospice nurse at St Anne's",
            "For Dr Reid's registrar (starts in March)",
        ),
        founded_days_ago=300,
    ),
    CommunitySpec(
        slug="incident-review-guild",
        name="Incident review guild",
        visibility=Visibility.PRIVATE,
        domain="Blameless reviews of real outages, shared in confidence",
        about=(
            "Members share **real incident reviews** from their organisations, under a "
            "simple rule: nothing leaves the guild.\n\n"
            "- Reviews follow the usual template: timeline, contributing factors, what "
            "went well, follow-ups.\n"
            "- We never name individuals or customers.\n"
            "- Once a month we pick one review and discuss it live."
        ),
        groups=("sre", "software-engineer", "data-scientist"),
        size=32,
        moderators=2,
        pending=4,
        declined=1,
        left=2,
        banned=1,
        invited=5,
        open_invitations=(
            "For the platform team lead at Cloudberry",
            "Conference contacts (five uses)",
            "For our new incident manager",
        ),
        founded_days_ago=260,
    ),
    CommunitySpec(
        slug="school-leaders-forum",
        name="School leaders forum",
        visibility=Visibility.PRIVATE,
        domain="Leading schools: staffing, curriculum, inspection and wellbeing",
        about=(
            "A confidential forum for headteachers, deputies and heads of department.\n\n"
            "Staffing puzzles, curriculum decisions, preparing for inspection, and looking "
            "after our teams (and ourselves)."
        ),
        groups=("school-leader", "teacher"),
        size=22,
        moderators=1,
        pending=2,
        left=1,
        invited=3,
        open_invitations=("For the new deputy head at Kingsmead",),
        founded_days_ago=240,
        demo_role="invited",
    ),
]

DEMO_SLUGS = [spec.slug for spec in COMMUNITIES]


# --- the plan ----------------------------------------------------------------------------------


@dataclass
class Person:
    username: str
    first_name: str
    last_name: str
    group: str
    occupation: str
    organisation: str
    location: str
    bio: str
    expertise: list[str]
    details_visible_to: str

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_EMAIL_DOMAIN}"


@dataclass
class MembershipPlan:
    username: str
    script: str  # moderator, active, invited, pending, declined, left, banned, rejoined
    start_days_ago: float  # when the first event happened
    decide_days: float = 1.0  # from a request to the moderator's decision
    stay_days: float = 30.0  # from joining to leaving or being banned
    away_days: float = 30.0  # from leaving to joining again
    message: str = ""


def _slugify_name(first: str, last: str) -> str:
    clean = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
    return clean


def plan_people(rng: random.Random) -> list[Person]:
    """The demo's people, the same list on every run."""
    people: list[Person] = []
    used: set[str] = {ADMIN_USERNAME, DEMO_USERNAME}
    for group, _name, _description, count in GROUPS:
        sector = GROUP_SECTOR[group]
        for _ in range(count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            base = _slugify_name(first, last)
            username, n = base, 2
            while username in used:
                username, n = f"{base}{n}", n + 1
            used.add(username)
            tags = rng.sample(EXPERTISE[group], k=rng.randint(2, 4))
            visibility = rng.choices(
                ["everyone", "communities", "only_me"], weights=[6, 3, 1], k=1
            )[0]
            people.append(
                Person(
                    username=username,
                    first_name=first,
                    last_name=last,
                    group=group,
                    occupation=rng.choice(OCCUPATIONS[group]),
                    organisation=rng.choice(ORGANISATIONS[sector]),
                    location=rng.choice(LOCATIONS),
                    bio=rng.choice(BIOS[sector]).format(years=rng.randint(3, 25)),
                    expertise=tags,
                    details_visible_to=visibility,
                )
            )
    return people


DEMO_PERSON = Person(
    username=DEMO_USERNAME,
    first_name="Sam",
    last_name="Rivera",
    group="teacher",
    occupation="Physics teacher and early-career mentor",
    organisation="Kingsmead Academy",
    location="Leeds",
    bio="I mentor new teachers and collect physics practicals that work on a Monday morning.",
    expertise=["physics", "mentoring", "practical work"],
    details_visible_to="everyone",
)


def _weighted_sample(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """Sample *k* distinct items, each with probability proportional to its weight."""
    keyed = sorted(zip(items, weights, strict=True), key=lambda iw: -(rng.random() ** (1 / iw[1])))
    return [item for item, _ in keyed[:k]]


def plan_memberships(
    rng: random.Random, spec: CommunitySpec, people: list[Person]
) -> list[MembershipPlan]:
    """Who is in *spec*'s community, in which state, and when things happened."""
    weights = [1.0 if p.group in spec.groups else 0.06 for p in people]
    extra = spec.pending + spec.declined + spec.left + spec.banned + spec.rejoined
    demo_active = spec.demo_role in ("member", "moderator", "invited")
    active_needed = spec.size - (1 if demo_active else 0)
    chosen = _weighted_sample(rng, people, weights, active_needed + extra)
    founded = spec.founded_days_ago
    plans: list[MembershipPlan] = []

    def member_start(total_gap: float) -> float:
        # Growth: more people arrive as the community gets known, so skew towards recent days.
        low, high = total_gap + 1.0, founded - 3.0
        return low + (high - low) * rng.random() ** 1.3

    moderators = [p for p in chosen if p.group in spec.groups][: spec.moderators]
    rest = [p for p in chosen if p not in moderators]
    for person in moderators:
        plans.append(MembershipPlan(person.username, "moderator", founded - rng.uniform(0, 2)))
    if spec.demo_role == "moderator":
        plans.append(MembershipPlan(DEMO_USERNAME, "moderator", founded - 4.0))

    counts = [
        ("pending", spec.pending),
        ("declined", spec.declined),
        ("left", spec.left),
        ("banned", spec.banned),
        ("rejoined", spec.rejoined),
        ("invited", spec.invited),
    ]
    queue = list(rest)
    for script, count in counts:
        for _ in range(count):
            person = queue.pop()
            plans.append(_script_plan(rng, script, person.username, founded, member_start))
    for person in queue[: active_needed - spec.moderators - spec.invited]:
        plans.append(_script_plan(rng, "active", person.username, founded, member_start))
    if spec.demo_role in ("member", "invited"):
        script = "invited" if spec.demo_role == "invited" else "active"
        plans.append(_script_plan(rng, script, DEMO_USERNAME, founded, member_start))
    return plans


def _script_plan(rng, script, username, founded, member_start) -> MembershipPlan:
    decide, stay, away = rng.uniform(0.1, 3.0), rng.uniform(10.0, 120.0), rng.uniform(10.0, 90.0)
    message = {
        "pending": rng.choice(REQUEST_MESSAGES),
        "declined": rng.choice(DECLINE_MESSAGES),
        "banned": rng.choice(BAN_REASONS),
    }.get(script, "")
    if script == "pending":
        start = rng.uniform(0.2, 20.0)  # requests wait days, not months
    else:
        span = {
            "active": decide,
            "declined": decide,
            "left": decide + stay,
            "banned": decide + stay,
            "rejoined": 2 * decide + stay + away,
        }.get(script, 0.0)
        start = member_start(span)
    return MembershipPlan(username, script, start, decide, stay, away, message)


# --- applying the plan -------------------------------------------------------------------------

Log = Callable[[str], None]


@dataclass
class Summary:
    users_created: int = 0
    memberships_created: int = 0
    communities_created: int = 0
    invitations_created: int = 0
    skipped_usernames: list[str] = field(default_factory=list)


def is_demo_email(email: str) -> bool:
    return email.lower().endswith(f"@{DEMO_EMAIL_DOMAIN}")


def _ensure_user(person: Person, password_hash: str, groups: dict, summary: Summary, **extra):
    """Return the demo user for *person*, creating user, profile and verified email if new.

    A username taken by someone outside the demo is left alone (None is returned).
    """
    user = User.objects.filter(username=person.username).first()
    if user is not None:
        if not is_demo_email(user.email):
            summary.skipped_usernames.append(person.username)
            return None
        return user
    user = User(
        username=person.username,
        email=person.email,
        first_name=person.first_name,
        last_name=person.last_name,
        password=password_hash,  # hashed once for everyone: hashing 300 times takes minutes
        **extra,
    )
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    # Keep the written profile on the user: the one cached when the user was saved is still
    # empty, and notes and notices written later would name the person by their username,
    # unlike a seed that goes on after a stop and reads the people back (stop 15).
    user.profile = services.profile_update(
        profile=services.profile_for(user),
        expertise=person.expertise,
        display_name=f"{person.first_name} {person.last_name}",
        occupation=person.occupation,
        professional_group=groups[person.group],
        organisation=person.organisation,
        location=person.location,
        bio=person.bio,
        details_visible_to=person.details_visible_to,
    )
    summary.users_created += 1
    return user


def _ensure_admin(password_hash: str, summary: Summary):
    admin = User.objects.filter(username=ADMIN_USERNAME).first()
    if admin is None:
        admin = User.objects.create(
            username=ADMIN_USERNAME,
            email=f"{ADMIN_USERNAME}@{DEMO_EMAIL_DOMAIN}",
            first_name=ADMIN_FIRST_NAME,
            last_name=ADMIN_LAST_NAME,
            password=password_hash,
            is_staff=True,
            is_superuser=True,
        )
        EmailAddress.objects.create(user=admin, email=admin.email, verified=True, primary=True)
        admin.profile = services.profile_update(  # the written profile, as for the people
            profile=services.profile_for(admin),
            display_name=f"{ADMIN_FIRST_NAME} {ADMIN_LAST_NAME}",
            occupation="Platform administrator",
        )
        summary.users_created += 1
    elif admin.first_name == "Demo" and is_demo_email(admin.email):
        # An admin seeded before it had a person's name ("Demo Admin", shown as "Practica
        # admin"): give it the name a new seed gives.
        admin.first_name, admin.last_name = ADMIN_FIRST_NAME, ADMIN_LAST_NAME
        admin.save(update_fields=["first_name", "last_name"])
        services.profile_update(
            profile=services.profile_for(admin),
            display_name=f"{ADMIN_FIRST_NAME} {ADMIN_LAST_NAME}",
        )
    elif not permissions.is_admin(admin):
        raise RuntimeError(
            f"A user named {ADMIN_USERNAME!r} is not a site admin; the demo needs its admin."
        )
    elif not is_demo_email(admin.email):
        summary.skipped_usernames.append(ADMIN_USERNAME)
    return admin


def _event_times(now: datetime, plan: MembershipPlan, events: list) -> list[datetime]:
    """When each of *events* (one membership's history, oldest first) happened."""
    Kind = MembershipEvent.Kind
    times = [now - timedelta(days=plan.start_days_ago)]
    for previous, event in pairwise(events):
        if event.kind in (Kind.APPROVED, Kind.DECLINED):
            gap = timedelta(days=plan.decide_days)
        elif event.kind in (Kind.LEFT, Kind.BANNED):
            gap = timedelta(days=plan.stay_days)
        elif previous.to_state == State.LEFT:
            gap = timedelta(days=plan.away_days)
        else:
            gap = timedelta(minutes=5)
        times.append(times[-1] + gap)
    return [min(t, now - timedelta(minutes=10)) for t in times]


def _backdate(membership: Membership, plan: MembershipPlan, now: datetime) -> None:
    """Spread the history over the past year: the services stamp everything with "now"."""
    events = list(MembershipEvent.objects.filter(membership=membership).order_by("pk"))
    if not events:
        return
    times = _event_times(now, plan, events)
    for event, at in zip(events, times, strict=True):
        event.occurred_at = at
    MembershipEvent.objects.bulk_update(events, ["occurred_at"])
    joined = next((e.occurred_at for e in events if e.to_state == State.ACTIVE), None)
    # QuerySet.update() leaves auto_now alone, so created/updated can be set too.
    Membership.objects.filter(pk=membership.pk).update(
        joined_at=joined, created_at=times[0], updated_at=times[-1]
    )


def _apply_script(plan, *, user, community, moderator, admin, invitation_note) -> Membership:
    """Run one membership's history through the services."""
    script = plan.script
    if script == "moderator":
        return services.membership_appoint(
            community=community, user=user, role=Role.MODERATOR, by=admin
        )
    if script == "invited":
        invitation = services.invitation_create(
            community=community, by=moderator, note=invitation_note, max_uses=1
        )
        return services.invitation_accept(invitation=invitation, user=user)
    if script == "pending":
        return services.membership_request(community=community, user=user, message=plan.message)

    def activate() -> Membership:
        if community.visibility == Visibility.OPEN:
            return services.membership_join(community=community, user=user)
        membership = services.membership_request(
            community=community, user=user, message=REQUEST_MESSAGES[len(user.username) % 7]
        )
        return services.membership_approve(membership=membership, by=moderator)

    if script == "declined":
        membership = services.membership_request(
            community=community, user=user, message=REQUEST_MESSAGES[len(user.username) % 7]
        )
        return services.membership_decline(
            membership=membership, by=moderator, message=plan.message
        )
    membership = activate()
    if script == "left":
        return services.membership_leave(community=community, user=user)
    if script == "banned":
        return services.membership_ban(membership=membership, by=moderator, reason=plan.message)
    if script == "rejoined":
        services.membership_leave(community=community, user=user)
        return activate()
    return membership


def _ensure_community(spec: CommunitySpec, admin, summary: Summary, now: datetime) -> Community:
    community = Community.objects.filter(slug=spec.slug).first()
    if community is not None:
        return community
    community = services.community_save(
        community=Community(
            slug=spec.slug,
            name=spec.name,
            visibility=spec.visibility,
            domain=spec.domain,
            about=spec.about,
        ),
        by=admin,
    )
    Community.objects.filter(pk=community.pk).update(
        created_at=now - timedelta(days=spec.founded_days_ago + 1)
    )
    summary.communities_created += 1
    return community


# People created per transaction: each takes a few queries (user, email, profile), about 0.3 s
# of work for 40 on an idle machine.
PEOPLE_PER_TRANSACTION = 40


def demo_build(*, log: Log = lambda line: None, now: datetime | None = None) -> Summary:
    """Create whatever part of the demo is missing; return what was created.

    *now*: the moment the demo's history is laid out back from (default: now).
    """
    rng = random.Random(SEED)
    now = now or timezone.now()
    summary = Summary()
    password_hash = make_password(DEMO_PASSWORD)
    people = plan_people(rng)
    plans = {spec.slug: plan_memberships(rng, spec, people) for spec in COMMUNITIES}

    # In several transactions (the people in batches, then each community), so that a write
    # made meanwhile waits for one of them, not for the whole phase (11-14 s at load 3-5). Each
    # is whole and every part is skipped once it exists, so a stopped build goes on where the
    # last commit left it and ends as one uninterrupted build does.
    with transaction.atomic():
        groups = {
            slug: services.professional_group_get_or_create(name=name, slug=slug, position=i)
            for i, (slug, name, _description, _count) in enumerate(GROUPS)
        }
        admin = _ensure_admin(password_hash, summary)
    writers_let_in()
    users = {}
    everyone = [DEMO_PERSON, *people]
    for first in range(0, len(everyone), PEOPLE_PER_TRANSACTION):
        with transaction.atomic():
            for person in everyone[first : first + PEOPLE_PER_TRANSACTION]:
                user = _ensure_user(person, password_hash, groups, summary)
                if user is not None:
                    users[person.username] = user
        writers_let_in()
    log(f"People: {len(users)} demo members ({summary.users_created} new).")

    for spec in COMMUNITIES:
        with transaction.atomic():
            _build_community(spec, plans[spec.slug], users, admin, summary, now, log)
        writers_let_in()
    return summary


def _build_community(spec, plans, users, admin, summary, now, log) -> None:
    community = _ensure_community(spec, admin, summary, now)
    existing = set(
        Membership.objects.filter(community=community).values_list("user__username", flat=True)
    )
    created = 0
    moderators = [
        users[p.username] for p in plans if p.script == "moderator" and p.username in users
    ]
    # Moderators first, so that the other histories have someone to approve, ban and invite.
    for plan in sorted(plans, key=lambda p: p.script != "moderator"):
        user = users.get(plan.username)
        if user is None or plan.username in existing:
            continue
        moderator = moderators[len(plan.username) % len(moderators)] if moderators else admin
        permissions.forget_memberships(moderator)
        membership = _apply_script(
            plan,
            user=user,
            community=community,
            moderator=moderator,
            admin=admin,
            invitation_note=f"For {display_name(user)}",
        )
        _backdate(membership, plan, now)
        created += 1
    summary.memberships_created += created

    for note in spec.open_invitations:
        if Invitation.objects.filter(community=community, note=note).exists():
            continue
        by = moderators[0] if moderators else admin
        uses = 5 if "five uses" in note else 1
        # 90 days, the longest a moderator may choose: the demo's links stay open for a while.
        services.invitation_create(community=community, by=by, note=note, max_uses=uses, days=90)
        summary.invitations_created += 1

    active = Membership.objects.filter(community=community, state=State.ACTIVE).count()
    pending = Membership.objects.filter(community=community, state=State.PENDING).count()
    log(
        f"  {community.name} ({community.get_visibility_display().lower()}): {active} active, "
        f"{pending} pending, {created} new memberships"
    )


def demo_reset(*, log: Log = lambda line: None) -> tuple[int, int]:
    """Delete the demo's communities and people (only those); return how many of each."""
    with transaction.atomic():
        communities = Community.objects.filter(slug__in=DEMO_SLUGS)
        n_communities = communities.count()
        communities.delete()
        users = User.objects.filter(email__iendswith=f"@{DEMO_EMAIL_DOMAIN}")
        n_users = users.count()
        users.delete()
        SeedResume.objects.all().delete()  # an unfinished seed's markers: nothing to go on with
    log(f"Deleted {n_users} demo people and {n_communities} demo communities.")
    return n_communities, n_users


# The demo's people last looked in two days before the seed's moment: the front page's "new
# since your last visit" then shows the last two days of the demo, not its whole year, and
# nobody gets the welcome meant for a first visit after joining.
DEMO_LAST_VISIT_AGO = timedelta(days=2)


def demo_visits_mark(*, now: datetime) -> int:
    """Give every active demo membership a last visit; return how many were marked."""
    return Membership.objects.filter(
        community__slug__in=DEMO_SLUGS, state=Membership.State.ACTIVE, last_seen_at__isnull=True
    ).update(last_seen_at=now - DEMO_LAST_VISIT_AGO)
