"""The experts' ranking token never makes writers of different communities deadlock.

Every write of scores or memberships replaces its community's ranking token
(``ExpertRankingVersion``). Written by the statement, the version row stayed locked until
commit, so two transactions writing scores of two communities in opposite orders waited for each
other's version row, and PostgreSQL aborted one ("deadlock detected"). The token is now
replaced at commit, all of a transaction's communities at once in the order of their ids.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from knowledge.models import ExpertRankingVersion, TagExpertScore
from knowledge.selectors.experts import ranking_token
from tests.factories import CommunityFactory, make_member
from tests.practice.factories import member_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _score(community, user, tag: str) -> None:
    TagExpertScore.objects.create(community=community, tag_key=tag, user=user, accepted=1, points=3)


def test_score_writes_in_opposite_orders_do_not_deadlock():
    one = CommunityFactory(slug="one", visibility="open")
    two = CommunityFactory(slug="two", visibility="open")
    first, second = member_of(one, username="first"), member_of(one, username="second")
    for user in (first, second):
        make_member(two, user)
    tokens = dict(ExpertRankingVersion.objects.values_list("community_id", "token"))
    both_wrote_once = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(user, communities):
        try:
            with transaction.atomic():
                _score(communities[0], user, "heels")
                both_wrote_once.wait(timeout=10)
                # The other transaction has written the other community by now.
                _score(communities[1], user, "heels")
        except BaseException as error:  # noqa: BLE001 (reported to the test)
            errors.append(error)
            both_wrote_once.abort()
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=write, args=(first, (one, two))),
        threading.Thread(target=write, args=(second, (two, one))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    assert errors == []
    assert TagExpertScore.objects.count() == 4
    after = dict(ExpertRankingVersion.objects.values_list("community_id", "token"))
    assert after[one.pk] != tokens[one.pk]
    assert after[two.pk] != tokens[two.pk]


def test_a_writer_reads_a_token_of_its_own_before_commit_and_a_new_one_is_written_at_commit():
    """Inside the writing transaction the ranking is read under a token nobody else sees (its
    own uncommitted change); at commit the community's token is replaced for everyone."""
    community = CommunityFactory(slug="one", visibility="open")
    user = member_of(community, username="first")
    committed = ranking_token(community.pk)
    seen_outside = []
    with transaction.atomic():
        _score(community, user, "heels")
        inside = ranking_token(community.pk)
        assert inside not in (None, committed)

        def read_elsewhere():
            seen_outside.append(ranking_token(community.pk))
            connections.close_all()

        reader = threading.Thread(target=read_elsewhere)
        reader.start()
        reader.join(timeout=30)
        assert seen_outside == [committed]
    after = ranking_token(community.pk)
    assert after not in (committed, inside)
    assert connection.vendor == "postgresql"
