"""axe-core over every page we ship, as a visitor, a member and a moderator, at 375 and 1280 px.

The pages come from the URL configuration itself: every named URL pattern is either visited
(``PAGES``) or excluded with a reason (``EXCLUDED``), and ``test_every_url_name_is_swept_or_
excluded`` fails when a new one is neither, so a new page cannot silently escape the sweep.
axe-core is the copy bundled in ``axe-playwright-python`` (no network). Any critical or serious
violation fails the sweep; moderate and minor ones are printed.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from axe_playwright_python.base import AXE_SCRIPT
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from api import webhooks
from communities import services as community_services
from communities.models import Community, Membership
from knowledge.services import curation, items
from notifications.email import unsubscribe_token
from practice.services import endorsements, events, moderation
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import CommunityFactory, UserFactory, make_admin, make_member
from tests.metrics.dashboard_data import make_members, write_snapshot
from tests.practice.factories import answer, ask, discuss, member_of, moderator_of

BLOCKING = {"critical", "serious"}
ROLES = ("anonymous", "member", "moderator")
# The Django admin is Django's own: swept for a staff user on a few of its pages (ADMIN_PAGES).
EXCLUDED_NAMESPACES = {
    "admin": "Django's admin: a few of its pages are swept for a staff user (ADMIN_PAGES)",
    "api_v1": "JSON API, no HTML page (its docs page is Swagger UI's own)",
}

POST_ONLY = "a POST-only action: it redirects back to a page that is swept"
NOT_HTML = "not an HTML page"
EXCLUDED = {
    # communities
    "communities:join": POST_ONLY,
    "communities:request": POST_ONLY,
    "communities:leave": POST_ONLY,
    "communities:decide": POST_ONLY,
    "communities:ban": POST_ONLY,
    "communities:unban": POST_ONLY,
    "communities:invitation_create": POST_ONLY,
    "communities:invitation_revoke": POST_ONLY,
    # api
    "api:token_revoke": POST_ONLY,
    "api:webhook_delete": POST_ONLY,
    "api:webhook_enable": POST_ONLY,
    # practice
    "practice:post_reply": POST_ONLY,
    "practice:post_restore": POST_ONLY,
    "practice:post_vote": POST_ONLY,
    "practice:post_accept": POST_ONLY,
    "practice:thread_unaccept": POST_ONLY,
    "practice:post_adoption": POST_ONLY,
    "practice:thread_follow": POST_ONLY,
    "practice:community_follow": POST_ONLY,
    "practice:tag_follow": POST_ONLY,
    "practice:preview": POST_ONLY + " (the live preview's HTML fragment)",
    "practice:draft_save": POST_ONLY + " (autosave, JSON)",
    "practice:draft_discard": POST_ONLY,
    "practice:thread_lock": POST_ONLY,
    "practice:thread_unlock": POST_ONLY,
    "practice:content_restore": POST_ONLY,
    "practice:thread_flags_dismiss": POST_ONLY,
    "practice:post_flags_dismiss": POST_ONLY,
    "practice:event_cancel": POST_ONLY,
    "practice:event_rsvp": POST_ONLY,
    "practice:event_attendance": POST_ONLY,
    "practice:feed": NOT_HTML + " (RSS)",
    "practice:tag_feed": NOT_HTML + " (RSS)",
    "practice:events_feed": NOT_HTML + " (iCalendar)",
    "practice:events_feed_private": NOT_HTML + " (iCalendar)",
    "practice:event_ics": NOT_HTML + " (iCalendar)",
    # knowledge
    "knowledge:revision_restore": POST_ONLY,
    "knowledge:change_accept": POST_ONLY,
    "knowledge:change_decline": POST_ONLY,
    "knowledge:change_request_changes": POST_ONLY,
    "knowledge:change_withdraw": POST_ONLY,
    "knowledge:item_request_changes": POST_ONLY,
    **{
        f"knowledge:item_{action}": POST_ONLY + " (one-click curation)"
        for action in ("publish", "feature", "unfeature", "review", "unarchive")
    },
    "knowledge:attachment_add": POST_ONLY,
    "knowledge:attachment_remove": POST_ONLY,
    "knowledge:attachment": NOT_HTML + " (the attached file)",
    # metrics
    "metrics:recompute": POST_ONLY,
    "metrics:export_json": NOT_HTML + " (JSON export)",
    "metrics:export_graphml": NOT_HTML + " (GraphML export)",
    "metrics:export_csv": NOT_HTML + " (CSV export)",
    # notifications
    "notifications:notifications_read_all": POST_ONLY,
    "notifications:notification_open": "redirects to the notice's target, which is swept",
    # allauth flows that are off or need a code sent by email
    "account_confirm_login_code": "login by code is off (ACCOUNT_LOGIN_BY_CODE_ENABLED)",
    "account_request_reauthentication_code": "login by code is off",
    "account_confirm_reauthentication_code": "login by code is off",
    "account_set_password": "redirects: every account here has a password",
    # search
    "search:similar_threads": "an HTML fragment of the new-thread form, checked there by "
    "tests/e2e/test_tags_and_similar.py",
    "communities:avatar": NOT_HTML + " (an avatar image)",
    "communities:profile_avatar": POST_ONLY + " (the avatar upload of the profile form)",
    "accounts:data_export_download": NOT_HTML + " (the member's data export)",
    # allauth's two-factor pages that need a key or a login in progress
    "mfa_authenticate": "only during a login with a second factor",
    "mfa_reauthenticate_webauthn": "needs a security key",
    "mfa_add_webauthn": "needs a security key (WebAuthn in the browser)",
    "mfa_edit_webauthn": "needs a registered security key",
    "mfa_remove_webauthn": "needs a registered security key",
    "mfa_deactivate_totp": "redirects: no authenticator app is set up",
    "mfa_view_recovery_codes": "redirects: no recovery codes are set up",
    "mfa_download_recovery_codes": NOT_HTML + " (a text file)",
    # allauth's sign-in with another account (single sign-on)
    "openid_connect_login": "redirects to the identity provider",
    "openid_connect_callback": "the identity provider's return address (needs its state)",
    "socialaccount_signup": "only during a sign-in with another account",
    "saml_login": "needs a configured SAML IdP, and redirects to it (tests/e2e/test_saml.py)",
    "saml_acs": "the SAML IdP posts its signed response here",
    "saml_finish_acs": "the second half of saml_acs: needs the IdP's response",
    "saml_metadata": "XML for the SAML IdP, not a page",
    "saml_sls": "the SAML IdP's single-logout return (needs its message)",
    # project-level
    "health": "the health check for load balancers (JSON or plain text)",
}


@dataclass
class World:
    """The demo-like data every page is visited with."""

    community: Community
    private: Community
    member: object
    moderator: object
    thread: object
    accepted: object
    flagged: object
    item: object
    proposal: object
    event: object
    invitation: object
    unsubscribe: str


def build_world() -> World:
    community = CommunityFactory(
        name="Wound care nurses",
        slug="wound-care",
        domain="Assessing, dressing and healing wounds",
        about="Share the **reasoning**, not only the product name.",
    )
    private = CommunityFactory(
        name="Incident review guild",
        slug="incident-review",
        visibility=Community.Visibility.PRIVATE,
        about="Nothing leaves the guild.",
    )
    crowd = make_members(community, 16, groups=3)
    write_snapshot(community, crowd, history=2)
    moderator = moderator_of(community, username="mona", first_name="Mona", last_name="Lee")
    member = member_of(community, username="sam", first_name="Sam", last_name="Rivera")
    helper = member_of(community, username="bob", first_name="Bob", last_name="Okafor")
    moderator_of(private, username="guild-mod")
    for user in (member, moderator):  # verified addresses: two-factor set-up needs one
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    make_member(community, UserFactory(username="pat"), state=Membership.State.PENDING)

    thread = ask(
        community, member, title="How do you keep a heel dressing in place overnight?",
        body="It slips off by morning. What **works** for you?", tags=["heels", "dressings"],
    )  # fmt: skip
    answer(thread, moderator, body="Tape, carefully.")
    accepted = answer(thread, helper, body="A tubular bandage holds it without tape.")
    endorsements.answer_accept(answer=accepted, by=member)
    answer(thread, member, body="Thanks @bob, that worked.", reply_to=accepted)
    ask(community, helper, title="Foam or hydrocolloid on a sacral wound?", tags=["sacral"])
    discuss(community, moderator, title="Night shifts", body="How do you cope?")
    flagged = answer(thread, helper, body="Buy my miracle cream at example.com")
    moderation.flag_create(reporter=member, thread=thread, post=flagged, reason="spam")

    item = items.item_propose(
        community=community, by=helper, kind="method",
        title="Holding a heel dressing with a tubular bandage",
        summary="A tubular bandage holds a heel dressing overnight without tape.",
        body="1. Cut it longer than the dressing\n2. Check the skin at every change",
        tag_names=["heels"],
    )  # fmt: skip
    item = curation.item_publish(item=item, by=moderator)
    items.item_edit(
        item=item, by=moderator, comment="Clearer steps", links=None, kind=item.kind,
        title=item.title, summary=item.summary, body=item.body + "\n3. Write it down",
        tag_names=["heels"],
    )  # fmt: skip
    proposal = items.change_propose(
        item=item, by=member, note="Add a photo tip", kind=item.kind, title=item.title,
        summary=item.summary, body=item.body + "\n\nA photo helps the next shift.",
        tag_names=["heels"],
    )  # fmt: skip
    items.item_propose(
        community=community, by=member, kind="story", title="The night the dressing held",
        summary="A story.", body="It held.", tag_names=[],
    )  # fmt: skip

    starts = timezone.now() + timedelta(days=7)
    event = events.event_create(
        community=community, by=moderator, title="Heel care meetup",
        description="Bring your **questions**.", place="Ward 4 seminar room",
        timezone="Europe/London", starts_at=starts, ends_at=starts + timedelta(hours=1),
        kind="meetup",
    )  # fmt: skip
    invitation = community_services.invitation_create(community=community, by=moderator)
    return World(
        community=community,
        private=private,
        member=member,
        moderator=moderator,
        thread=thread,
        accepted=accepted,
        flagged=flagged,
        item=item,
        proposal=proposal,
        event=event,
        invitation=invitation,
        unsubscribe=unsubscribe_token(user_id=member.pk, community_id=community.pk),
    )


def _c(w: World) -> dict:
    return {"slug": w.community.slug}


def _webhook(w: World) -> str:
    """A webhook's page (its delivery log), registered by the world's moderator."""
    endpoint = webhooks.endpoint_create(
        community=w.community,
        by=w.moderator,
        url="http://127.0.0.1:9/hook",
        events=["thread.created"],
    )
    return reverse("api:webhook", args=[w.community.slug, endpoint.pk])


def _t(w: World) -> dict:
    return {"slug": w.community.slug, "thread_id": w.thread.pk}


def _p(w: World) -> dict:
    return {"slug": w.community.slug, "post_id": w.accepted.pk}


def _i(w: World) -> dict:
    return {"slug": w.community.slug, "item_id": w.item.pk}


def _e(w: World) -> dict:
    return {"slug": w.community.slug, "event_id": w.event.pk}


def _r(name, kwargs=None, query=""):
    return lambda w: reverse(name, kwargs=kwargs(w) if kwargs else None) + query


# URL name → the address visited (built from the world).
PAGES = {
    # communities
    "communities:directory": _r("communities:directory"),
    "communities:home": _r("communities:home", _c),
    "communities:members": _r("communities:members", _c),
    "communities:moderate": _r("communities:moderate", _c),
    "communities:invitation": lambda w: reverse(
        "communities:invitation", kwargs={"token": w.invitation.token}
    ),
    "communities:profile": lambda w: reverse(
        "communities:profile", kwargs={"username": w.member.username}
    ),
    "communities:profile_edit": _r("communities:profile_edit"),
    # practice: threads and posts
    "practice:thread_list": _r("practice:thread_list", _c),
    "practice:unanswered": _r("practice:unanswered", _c),
    "practice:thread_new": _r("practice:thread_new", _c),
    "practice:thread": _r("practice:thread", _t),
    "practice:post": _r("practice:post", _p),
    "practice:post_edit": _r("practice:post_edit", _p),
    "practice:post_hide": lambda w: reverse(
        "practice:post_hide", kwargs={"slug": w.community.slug, "post_id": w.flagged.pk}
    ),
    "practice:post_history": _r("practice:post_history", _p),
    "practice:member_activity": lambda w: reverse(
        "practice:member_activity", kwargs={"username": w.member.username}
    ),
    # practice: moderation
    "practice:flag_thread": _r("practice:flag_thread", _t),
    "practice:flag_post": _r("practice:flag_post", _p),
    "practice:thread_move": _r("practice:thread_move", _t),
    "practice:moderation_queue": _r("practice:moderation_queue", _c),
    "practice:moderation_log": _r("practice:moderation_log", _c),
    "practice:content_hide": lambda w: reverse(
        "practice:content_hide", kwargs={"slug": w.community.slug, "post_id": w.flagged.pk}
    ),
    # practice: events
    "practice:events": _r("practice:events", _c),
    "practice:event_create": _r("practice:event_create", _c),
    "practice:event": _r("practice:event", _e),
    "practice:event_edit": _r("practice:event_edit", _e),
    # knowledge
    "knowledge:library": _r("knowledge:library", _c),
    "knowledge:item_new": _r("knowledge:item_new", _c),
    "knowledge:my_proposals": _r("knowledge:my_proposals", _c),
    "knowledge:item": _r("knowledge:item", _i),
    "knowledge:item_edit": _r("knowledge:item_edit", _i),
    "knowledge:item_history": _r("knowledge:item_history", _i),
    "knowledge:item_diff": _r("knowledge:item_diff", _i, "?from=1&to=2"),
    "knowledge:change_new": _r("knowledge:change_new", _i),
    "knowledge:change": lambda w: reverse(
        "knowledge:change", kwargs=_i(w) | {"proposal_id": w.proposal.pk}
    ),
    "knowledge:item_archive": _r("knowledge:item_archive", _i),
    "knowledge:health": _r("knowledge:health", _c),
    "knowledge:evidence_report": _r("knowledge:evidence_report", _i),
    "knowledge:experts": _r("knowledge:experts", _c),
    "knowledge:promote_thread": _r("knowledge:promote_thread", _t),
    "knowledge:promote_post": _r("knowledge:promote_post", _p),
    # search
    "search:search": _r("search:search", None, "?q=heel+dressing"),
    # metrics
    "metrics:dashboard": _r("metrics:dashboard", _c),
    "metrics:network": _r("metrics:network", _c),
    "metrics:members": _r("metrics:members", _c),
    "metrics:my_network": _r("metrics:my_network", _c),
    # notifications
    "notifications:notifications": _r("notifications:notifications"),
    "notifications:notification_settings": _r("notifications:notification_settings"),
    "notifications:unsubscribe": lambda w: reverse(
        "notifications:unsubscribe", kwargs={"token": w.unsubscribe}
    ),
    # allauth
    "account_login": _r("account_login"),
    "account_signup": _r("account_signup"),
    "account_logout": _r("account_logout"),
    "account_change_password": _r("account_change_password"),
    "account_inactive": _r("account_inactive"),
    "account_email": _r("account_email"),
    "account_email_verification_sent": _r("account_email_verification_sent"),
    "account_confirm_email": lambda w: reverse("account_confirm_email", args=["not-a-key"]),
    "account_reset_password": _r("account_reset_password"),
    "account_reset_password_done": _r("account_reset_password_done"),
    "account_reset_password_from_key": lambda w: reverse(
        "account_reset_password_from_key", kwargs={"uidb36": "1", "key": "bad-key"}
    ),
    "account_reset_password_from_key_done": _r("account_reset_password_from_key_done"),
    "account_reauthenticate": _r("account_reauthenticate"),
    "accounts:security": _r("accounts:security"),
    "api:tokens": _r("api:tokens"),
    "api:webhooks": _r("api:webhooks", _c),
    "api:webhook": lambda w: _webhook(w),
    "accounts:your_data": _r("accounts:your_data"),
    "accounts:privacy": _r("accounts:privacy"),
    "socialaccount_connections": _r("socialaccount_connections"),
    "socialaccount_login_cancelled": _r("socialaccount_login_cancelled"),
    "socialaccount_login_error": _r("socialaccount_login_error"),
    "accounts:close": _r("accounts:close"),
    "accounts:closed": _r("accounts:closed"),
    "accounts:close_undo": lambda w: reverse("accounts:close_undo", args=["not-a-token"]),
    "mfa_index": _r("mfa_index"),
    "mfa_reauthenticate": _r("mfa_reauthenticate"),
    "mfa_activate_totp": _r("mfa_activate_totp"),
    "mfa_generate_recovery_codes": _r("mfa_generate_recovery_codes"),
    "mfa_list_webauthn": _r("mfa_list_webauthn"),
    "usersessions_list": _r("usersessions_list"),
}

# Visited, but every role is sent on elsewhere (where the page met is swept).
REDIRECTED = {
    "practice:post": "a post's address leads to its page of the thread",
    "404 page": "answers 404",
    "400 page": "answers 400",
    "mfa_reauthenticate": "for members with two-factor authentication; the others are sent to "
    "the password's reauthentication, which is swept",
}

# Pages with no URL name of their own: the error pages and an outsider's view of a private
# community.
EXTRA_PAGES = {
    "404 page": lambda w: "/no-such-page/",
    "400 page": lambda w: "/search/?q=%00",
    "private community, outside": lambda w: reverse(
        "communities:home", kwargs={"slug": w.private.slug}
    ),
    "thread list filtered by tag": _r("practice:thread_list", _c, "?tag=heels"),
    "search with no results": _r("search:search", None, "?q=zzzzqqq"),
}

ADMIN_PAGES = {
    "admin index": lambda w: reverse("admin:index"),
    "admin communities": lambda w: reverse("admin:communities_community_changelist"),
    "admin community (inlines)": lambda w: reverse(
        "admin:communities_community_change", args=[w.community.pk]
    ),
    "admin threads": lambda w: reverse("admin:practice_thread_changelist"),
    "admin thread": lambda w: reverse("admin:practice_thread_change", args=[w.thread.pk]),
}


def url_names() -> set[str]:
    """Every named URL pattern of the project, namespaced, except the excluded namespaces."""

    def walk(patterns, namespaces):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespaces + [pattern.namespace] if pattern.namespace else namespaces
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield ":".join([*namespaces, pattern.name])

    return {
        name
        for name in walk(get_resolver().url_patterns, [])
        if name.split(":")[0] not in EXCLUDED_NAMESPACES
    }


def test_every_url_name_is_swept_or_excluded():
    names = url_names()
    missing = sorted(names - PAGES.keys() - EXCLUDED.keys())
    assert not missing, f"add these URL names to PAGES or to EXCLUDED with a reason: {missing}"
    # Names not (or no longer) in the URLconf are simply not visited: pages of work in progress
    # may be listed before they land.
    assert not PAGES.keys() & EXCLUDED.keys()


# At 1280 px every rule axe runs by default; at 375 px the rules that can fail the sweep
# (critical and serious), which is where a phone layout can differ (contrast, scrolling regions,
# names of what only phones show). Moderate and minor findings are counted at 1280 px.
FULL = {"resultTypes": ["violations"]}
RUN_AXE = "options => axe.run(document, options).then(results => results.violations)"
BLOCKING_RULES = """() => axe.getRules()
  .map(rule => axe._audit.rules.find(r => r.id === rule.ruleId))
  .filter(rule => rule.enabled && ["critical", "serious"].includes(rule.impact)
    && !rule.tags.some(tag => ["experimental", "deprecated"].includes(tag)))
  .map(rule => rule.id)"""


def blocking_violations(page) -> list[str]:
    """The critical and serious axe violations on *page* as it is now (for other browser tests
    that check a state the sweep does not reach, such as a form with suggestions showing)."""
    page.evaluate(AXE_SCRIPT)
    return [
        _describe(violation)
        for violation in page.evaluate(RUN_AXE, FULL)
        if violation["impact"] in BLOCKING
    ]


def _session_cookie(live_server_url: str, user) -> dict:
    client = Client()
    client.force_login(user)
    # As if the member had just confirmed their password (allauth's reauthentication), so the
    # pages that ask for it (two-factor set-up) show themselves.
    session = client.session
    session["account_authentication_methods_user"] = str(user.pk)
    record = {"method": "password", "at": time.time(), "username": user.username}
    session["account_authentication_methods"] = [record | {"reauthenticated": True}]
    session.save()
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server_url,
    }


def _describe(violation: dict) -> str:
    targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
    return f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])}×): {targets}"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_every_page_has_no_critical_or_serious_axe_violation(live_server, browser):
    started = time.monotonic()
    world = build_world()
    admin = make_admin()
    built = time.monotonic()
    base = live_server.url
    users = {"anonymous": None, "member": world.member, "moderator": world.moderator}
    names = url_names()
    pages = {
        name: build(world)
        for name, build in (PAGES | EXTRA_PAGES).items()
        if name in names or name in EXTRA_PAGES
    }
    sweeps = [(role, pages) for role in ROLES]
    sweeps.append(("admin", {name: build(world) for name, build in ADMIN_PAGES.items()}))
    users["admin"] = admin

    phone_options = None  # set from the first page's axe: its serious and critical rules
    blocking: list[str] = []
    by_impact: Counter = Counter()
    by_rule: Counter = Counter()
    scanned = 0
    timing: Counter = Counter()
    reached: set[str] = set()  # pages shown as themselves (no redirect) to some role
    for role, addresses in sweeps:
        # One context per role; each page is scanned at both widths without reloading.
        context = browser.new_context(viewport=DESKTOP, locale="en-GB")
        context.add_init_script(script=AXE_SCRIPT)  # sent once, in every page before its scripts
        if users[role] is not None:
            context.add_cookies([_session_cookie(base, users[role])])
        page = context.new_page()
        seen: set[str] = set()  # final addresses (after redirects) and error statuses
        try:
            for name, address in addresses.items():
                t0 = time.monotonic()
                response = page.goto(base + address)
                timing["goto"] += time.monotonic() - t0
                assert response is not None, name
                status = response.status
                assert status != 405, f"{name} does not answer GET: move it to EXCLUDED"
                assert status < 500, f"{name} as {role}: {status}"
                final = page.url.removeprefix(base)
                # 401: allauth's sign-in error page says so in its status.
                if status in (200, 401) and final.split("#")[0] == address:
                    reached.add(name)
                key = f"status {status}" if status in (403, 404) else final
                if key in seen:
                    continue
                seen.add(key)
                if phone_options is None:
                    phone_options = {
                        **FULL,
                        "runOnly": {"type": "rule", "values": page.evaluate(BLOCKING_RULES)},
                    }
                for width, options in ((PHONE, phone_options), (DESKTOP, FULL)):
                    page.set_viewport_size(width)
                    t0 = time.monotonic()
                    violations = page.evaluate(RUN_AXE, options)
                    timing["axe"] += time.monotonic() - t0
                    scanned += 1
                    for violation in violations:
                        by_impact[violation["impact"]] += 1
                        by_rule[f"{violation['id']} ({violation['impact']})"] += 1
                        if violation["impact"] in BLOCKING:
                            blocking.append(
                                f"{name} [{final}] as {role} at {width['width']} px: "
                                + _describe(violation)
                            )
        finally:
            context.close()
    elapsed = time.monotonic() - started
    print(f"\naxe: {scanned} page states in {elapsed:.1f} s; violations by impact: {by_impact}")
    print(f"world built in {built - started:.1f} s; {dict(timing)}")
    for rule, count in by_rule.most_common():
        print(f"  {rule}: {count}")
    assert not blocking, "\n".join(blocking)
    unreached = sorted(set(pages) - reached - REDIRECTED.keys())
    assert not unreached, f"never shown as themselves to any role (fix the data?): {unreached}"
