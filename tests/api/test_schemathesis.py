"""Schemathesis against the live schema, in-process (the project's WSGI app): generated
calls to every operation, as a member (a moderator) with a token of every scope (read, write,
moderate: the moderators' operations get past the scope check to their own), in an open
community with a thread. No 5xx; every response conforms to the schema (status code, content
type, body, headers); invalid input is rejected. Unmarked, so both CI passes (SQLite and
PostgreSQL) run it.

The stateful test follows the schema's OpenAPI links (api/v1/links.py) only: chains of real
calls (start a thread → answer it → vote, accept, hide, restore; propose an item → edit,
publish, feature; create an event → RSVP, change, cancel; register a webhook → rotate, change,
delete), with schemathesis' stateful checks (a created resource is readable, a deleted one is
gone) on top of the conformance checks.

The schema is loaded when the module is collected (the schema view reads no database):
schemathesis' lazy ``from_fixture`` loader fails under pytest 9 (it reads a private
``_nodeid`` attribute that pytest removed).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.specs.openapi.checks import positive_data_acceptance

from communities.models import Membership
from practice.services import threads as thread_services
from tests.api.conftest import token_for
from tests.factories import CommunityFactory, make_member

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
# A second copy for the stateful test: only the links we declare, none that schemathesis
# would infer from names (so the chains are the ones documented, and the run stays bounded).
linked_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
linked_schema.config.phases.stateful.inference.algorithms = []


@pytest.fixture
def member_token(db):
    # The WSGI handler closes the database connection after each request (as in production);
    # the test's transaction lives on it, so keep it open as Django's test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    community = CommunityFactory(slug="open", visibility="open")
    user = make_member(community, role=Membership.Role.MODERATOR).user
    # A second community they moderate (a thread can move there) and a join request to decide.
    make_member(CommunityFactory(slug="elsewhere"), user=user, role=Membership.Role.MODERATOR)
    make_member(community, state=Membership.State.PENDING)
    thread_services.thread_create(
        community=community, author=user, kind="question", title="Seed", body="Seed body"
    )
    yield token_for(user, scopes=("read", "write", "moderate"))
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    # Bounded: 25 examples per operation (39 operations: about 85 s here).
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, member_token):
    case.call_and_validate(
        # Uncompressed: schemathesis' WSGI transport does not undo our gzip middleware.
        headers={"Authorization": f"Bearer {member_token}", "Accept-Encoding": "identity"},
        # "Schema-valid data is accepted" cannot hold for values the schema can only call
        # strings: an opaque cursor, a search filter naming a community the caller cannot
        # read. They are 400s in the error shape, which the other checks verify.
        excluded_checks=[positive_data_acceptance],
    )


SLUGS = ("open", "elsewhere")
# Bounded (CI's PostgreSQL pass has a minute for it): scenarios of up to 6 calls.
SCENARIOS = 40


def test_api_links_hold_statefully(member_token):
    assert schema.config.phases.stateful.inference.algorithms  # the copies are independent
    headers = {"Authorization": f"Bearer {member_token}", "Accept-Encoding": "identity"}
    followed = set()  # operations on an object made earlier in the scenario that succeeded

    class LinkedCalls(linked_schema.as_state_machine()):
        def before_call(self, case):
            if not case.meta.generation.mode.is_positive:
                return  # invalid on purpose: left as generated, to be refused
            # Scenarios start in the fixture's communities (a random slug would end every chain
            # at its first 404); what the links carry on from there comes from the answers.
            if case.path_parameters and case.path_parameters.get("slug") not in SLUGS:
                case.path_parameters["slug"] = "open"
            # A receiver that resolves without a network (the tests allow loopback; nothing
            # listens there, so deliveries fail at once), and a time zone the service knows.
            if isinstance(case.body, dict) and case.method in ("POST", "PATCH"):
                if "/webhooks" in case.path and "url" in case.body:
                    case.body["url"] = "http://127.0.0.1:9/hook"
                if case.path.endswith("/events") and "timezone" in case.body:
                    case.body["timezone"] = "Europe/Berlin"
                    case.body["online_url"] = "https://meet.example/abc"

        def teardown(self):
            scenarios.append(1)
            super().teardown()

        def after_call(self, response, case):
            super().after_call(response, case)
            if response.status_code < 300 and "_id}" in case.path:
                followed.add(f"{case.method} {case.path}")

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            try:
                case.validate_response(
                    response,
                    additional_checks=additional_checks,
                    excluded_checks=[positive_data_acceptance],
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder,
                )
            except Exception as failure:
                failures.append(failure)
                raise

    failures, scenarios = [], []
    # Hypothesis may stop a run early when a scenario draws differently than an earlier one
    # with the same start (the rows made meanwhile change which links can be followed).
    # Schemathesis' own runner counts that as no failure unless a check failed and starts
    # again; so does this test, until SCENARIOS scenarios have run (a few restarts at most).
    for _restart in range(10):
        left = SCENARIOS - len(scenarios)
        if left <= 0:
            break
        try:
            LinkedCalls.run(
                settings=settings(
                    max_examples=left,
                    stateful_step_count=6,
                    # Schemathesis' own defaults for state machines: generate only, nothing
                    # replayed from a database (scenarios depend on the rows earlier ones made).
                    phases=[Phase.generate],
                    database=None,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                )
            )
            break
        except FlakyStrategyDefinition:
            if failures:
                raise failures[0] from None
    # The chains really ran: ids from one answer fed the next calls, which succeeded.
    # (About 14 of the 30 linked operations succeed in a typical run; 8 leaves room for draws.)
    assert len(followed) >= 8, sorted(followed)
