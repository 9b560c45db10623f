"""Communities for the pipeline tests: a small hand-made one, built through the real services at
fixed moments (``timezone.now`` is frozen while each step runs), with every expected figure worked
out by hand in the tests; and Zachary's karate club logged as answers."""

import contextlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from unittest import mock

import networkx as nx

from communities.interactions import interactions_write, spec_for
from communities.models import Membership, Profile
from practice.services import endorsements
from tests.factories import CommunityFactory, ProfessionalGroupFactory, UserFactory, make_member
from tests.practice.factories import answer, ask, discuss

# The moment the tests compute "now" at: a Sunday afternoon.
T = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@contextlib.contextmanager
def frozen(moment: datetime):
    """Make ``django.utils.timezone.now`` return *moment* inside the block."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@dataclass
class Smallville:
    community: object
    ana: object  # moderator, nurse
    ben: object  # nurse
    cai: object  # doctor
    dee: object  # doctor, does nothing
    eve: object  # doctor, votes once
    q1: object
    q2: object
    d1: object


def build_smallville() -> Smallville:
    """Five members; two questions, one discussion, a vote and an accepted answer.

    Timeline (T = 2026-03-15 12:00 UTC):
      T-40d 09:00  ana starts discussion D1          T-40d 11:00  ben replies in D1
      T-10d 09:00  ben asks Q1                       T-10d 12:00  ana answers Q1 (moderator, 3 h)
      T-10d 15:00  cai answers Q1                    T-9d 09:00   ben accepts cai's answer
      T-9d 10:00   eve votes ana's answer helpful    T-3d 10:00   cai asks Q2 (never answered)
    """
    nurses = ProfessionalGroupFactory(name="Nurses", slug="nurses")
    doctors = ProfessionalGroupFactory(name="Doctors", slug="doctors")
    with frozen(T - timedelta(days=400)):
        community = CommunityFactory(name="Smallville", slug="smallville")
        people = {}
        for name, role, group in (
            ("ana", Membership.Role.MODERATOR, nurses),
            ("ben", Membership.Role.MEMBER, nurses),
            ("cai", Membership.Role.MEMBER, doctors),
            ("dee", Membership.Role.MEMBER, doctors),
            ("eve", Membership.Role.MEMBER, doctors),
        ):
            user = UserFactory(username=name)
            make_member(community, user, role=role)
            Profile.objects.filter(user=user).update(professional_group=group)
            people[name] = user
    Membership.objects.filter(community=community).update(joined_at=T - timedelta(days=365))
    ana, ben, cai, eve = people["ana"], people["ben"], people["cai"], people["eve"]
    day = T.replace(hour=0)

    with frozen(day - timedelta(days=40) + timedelta(hours=9)):
        d1 = discuss(community, ana, title="Night shifts")
    with frozen(day - timedelta(days=40) + timedelta(hours=11)):
        answer(d1, ben, body="Sleep first.")
    with frozen(day - timedelta(days=10) + timedelta(hours=9)):
        q1 = ask(community, ben, title="Dressing a sacral wound?")
    with frozen(day - timedelta(days=10) + timedelta(hours=12)):
        ana_answer = answer(q1, ana, body="Foam.")
    with frozen(day - timedelta(days=10) + timedelta(hours=15)):
        cai_answer = answer(q1, cai, body="Hydrocolloid.")
    with frozen(day - timedelta(days=9) + timedelta(hours=9)):
        endorsements.answer_accept(answer=cai_answer, by=ben)
    with frozen(day - timedelta(days=9) + timedelta(hours=10)):
        endorsements.vote_set(post=ana_answer, voter=eve, helpful=True)
    with frozen(day - timedelta(days=3) + timedelta(hours=10)):
        q2 = ask(community, cai, title="Compression after a fall?")
    return Smallville(community, ana, ben, cai, people["dee"], eve, q1, q2, d1)


@dataclass
class Karate:
    community: object
    users: list  # users[n] is node n of networkx's karate_club_graph
    moderator: object  # a moderator without ties (an isolate)
    rng: random.Random

    def answers(self, moment: datetime, count: int = 6) -> None:
        """Log *count* more answers along random edges of the club, at *moment*."""
        edges = list(nx.karate_club_graph().edges())
        specs = []
        for k in range(count):
            u, v = self.rng.choice(edges)
            specs.append(self._answer(self.users[u], self.users[v], moment, source=self.users[k]))
        with frozen(moment):
            interactions_write(specs)

    def _answer(self, actor, target, moment, *, source):
        return spec_for(
            community_id=self.community.pk,
            actor_id=actor.pk,
            target_id=target.pk,
            kind="answer",
            occurred_at=moment,
            source=source,  # the log keeps one answer per source and pair: vary the source
        )


def build_karate() -> Karate:
    """Zachary's karate club realised as answers: a tie of weight w is w answers at random
    moments of the year before T, in random directions; the two clubs are the groups."""
    graph = nx.karate_club_graph()
    clubs = {
        club: ProfessionalGroupFactory(name=club, slug=f"karate-{i}")
        for i, club in enumerate(sorted({graph.nodes[n]["club"] for n in graph}))
    }
    with frozen(T - timedelta(days=400)):
        community = CommunityFactory(name="Karate club", slug="karate")
        users = []
        for node in sorted(graph):
            user = UserFactory(username=f"karate-{node}")
            make_member(community, user)
            club = clubs[graph.nodes[node]["club"]]
            Profile.objects.filter(user=user).update(professional_group=club)
            users.append(user)
        moderator = UserFactory(username="karate-moderator")
        make_member(community, moderator, role=Membership.Role.MODERATOR)
    Membership.objects.filter(community=community).update(joined_at=T - timedelta(days=365))
    karate = Karate(community, users, moderator, random.Random(34))
    specs = []
    for u, v, attrs in graph.edges(data=True):
        for k in range(attrs["weight"]):
            actor, target = users[u], users[v]
            if karate.rng.random() < 0.5:
                actor, target = target, actor
            moment = T - timedelta(days=karate.rng.uniform(1, 360))
            specs.append(karate._answer(actor, target, moment, source=users[k]))
    interactions_write(specs)
    return karate
