"""The thread page's cached post fragments: no reader sees another's controls, no stale or hidden
content is ever served, and changes of rights or counts show on the next request."""

import pytest
from django.test.signals import template_rendered
from django.urls import reverse

from communities import services as community_services
from communities.models import Community, Membership
from practice.fragments import FRAGMENT_TEMPLATE
from practice.services import endorsements
from practice.services import threads as thread_services
from tests.factories import make_admin
from tests.practice.factories import answer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


def thread_url(thread):
    return reverse("practice:thread", args=[thread.community.slug, thread.pk])


def action(name, post):
    return reverse(f"practice:{name}", args=[post.community.slug, post.pk])


def page_as(client, thread, user) -> str:
    client.logout()
    if user is not None:
        client.force_login(user)
    response = client.get(thread_url(thread))
    assert response.status_code == 200
    return response.content.decode()


def controls(html: str, reply) -> dict[str, bool]:
    """Which of the reply's controls the page shows."""
    return {
        "vote": f'formaction="{action("post_vote", reply)}"' in html,
        "edit": f'href="{action("post_edit", reply)}"' in html,
        "hide": f'href="{action("post_hide", reply)}"' in html,
        "flag": f'href="{action("flag_post", reply)}"' in html,
        "accept": f'formaction="{action("post_accept", reply)}"' in html,
        "report": f'action="{action("post_adoption", reply)}"' in html,
        "quote": f"reply_to={reply.pk}#reply" in html,
    }


EXPECTED = {
    "anonymous": dict.fromkeys(
        ("vote", "edit", "hide", "flag", "accept", "report", "quote"), False
    ),
    # A member votes, reports, flags and quotes someone else's answer; no edit, hide, accept.
    "reader": {
        "vote": True,
        "edit": False,
        "hide": False,
        "flag": True,
        "accept": False,
        "report": True,
        "quote": True,
    },
    # The author edits and hides their own answer; no vote or report on it.
    "helper": {
        "vote": False,
        "edit": True,
        "hide": True,
        "flag": True,
        "accept": False,
        "report": False,
        "quote": True,
    },
    # The asker accepts it.
    "asker": {
        "vote": True,
        "edit": False,
        "hide": False,
        "flag": True,
        "accept": True,
        "report": True,
        "quote": True,
    },
    "moderator": {
        "vote": True,
        "edit": True,
        "hide": True,
        "flag": True,
        "accept": True,
        "report": True,
        "quote": True,
    },
}


@pytest.mark.parametrize(
    "order",
    [
        ["moderator", "anonymous", "helper", "reader", "asker"],
        ["anonymous", "reader", "asker", "helper", "moderator"],
    ],
)
def test_thread_page_no_reader_sees_another_readers_controls(client, scene, order):
    """The same cached fragments serve every reader; the controls are each reader's own."""
    users = {name: scene.get(name) for name in order}
    pages = {}
    for name in order:  # the first reader fills the cache, the others read from it
        pages[name] = page_as(client, scene["thread"], users[name])
    for name in order:
        html = pages[name]
        assert controls(html, scene["reply"]) == EXPECTED[name], name
        assert "Silicone foam, changed every three days." in html
        assert ("Moderator tools" in html) is (name == "moderator"), name
        # The opening post: its author (and moderators) edit it; nobody votes on it here.
        opening = scene["thread"].opening_post
        assert (f'href="{action("post_edit", opening)}"' in html) is (
            name in ("asker", "moderator")
        ), name
    # Anonymous readers get no form at all on the posts (no CSRF token to cache by mistake).
    assert "csrfmiddlewaretoken" not in pages["anonymous"]


def test_thread_page_renders_fragments_once_then_reads_them(client, scene):
    rendered = []

    def on_render(sender, template, context, **kwargs):
        if template.name == FRAGMENT_TEMPLATE:
            rendered.append(context.get("pid"))

    template_rendered.connect(on_render)
    try:
        page_as(client, scene["thread"], None)
        assert len(rendered) == 2  # the question and the answer
        rendered.clear()
        page_as(client, scene["thread"], scene["reader"])
        page_as(client, scene["thread"], scene["moderator"])
        assert rendered == []
        thread_services.post_edit(post=scene["reply"], by=scene["helper"], body="Hydrocolloid.")
        page_as(client, scene["thread"], None)
        assert rendered == [str(scene["reply"].pk)]  # only the edited post is rendered again
    finally:
        template_rendered.disconnect(on_render)


def test_thread_page_after_an_edit_never_shows_the_old_body(client, scene):
    thread, reply = scene["thread"], scene["reply"]
    for viewer in (None, scene["reader"], scene["moderator"]):
        assert "Silicone foam" in page_as(client, thread, viewer)
    thread_services.post_edit(post=reply, by=scene["helper"], body="Hydrocolloid, not foam.")
    for viewer in (None, scene["reader"], scene["moderator"]):
        html = page_as(client, thread, viewer)
        assert "Hydrocolloid, not foam." in html
        assert "Silicone foam" not in html
        assert f'href="{action("post_history", reply)}"' in html  # "edited — see history"


def test_thread_page_after_a_hide_never_shows_the_hidden_post(client, scene):
    thread, reply, moderator = scene["thread"], scene["reply"], scene["moderator"]
    for viewer in (None, scene["reader"], moderator):
        assert "Silicone foam" in page_as(client, thread, viewer)
    thread_services.post_hide(post=reply, by=moderator, reason="Off topic")
    for viewer in (None, scene["reader"], scene["helper"]):
        html = page_as(client, thread, viewer)
        assert "Silicone foam" not in html
        assert f'id="post-{reply.pk}"' not in html
    html = page_as(client, thread, moderator)
    assert "Silicone foam" in html
    assert "Only moderators see it." in html and "post-hidden" in html
    assert f'formaction="{action("post_restore", reply)}"' in html
    assert f'href="{action("post_hide", reply)}"' not in html
    # Restored, it is back for everyone, without the moderators' note.
    thread_services.post_restore(post=reply, by=moderator)
    html = page_as(client, thread, None)
    assert "Silicone foam" in html and "Only moderators see it." not in html
    assert "post-hidden" not in page_as(client, thread, moderator)


def test_thread_page_permission_changes_take_effect_on_the_next_request(client, scene):
    community, thread, reply, reader = (
        scene["community"],
        scene["thread"],
        scene["reply"],
        scene["reader"],
    )
    assert controls(page_as(client, thread, reader), reply) == EXPECTED["reader"]

    # Made a moderator: the moderator's controls at once.
    membership = Membership.objects.get(community=community, user=reader)
    community_services.membership_set_role(
        membership=membership, role=Membership.Role.MODERATOR, by=make_admin()
    )
    html = page_as(client, thread, reader)
    assert controls(html, reply) == EXPECTED["moderator"]
    assert "Moderator tools" in html

    # Back to member, then banned: reads the open community, but no control at all.
    membership.refresh_from_db()
    community_services.membership_set_role(
        membership=membership, role=Membership.Role.MEMBER, by=make_admin()
    )
    membership.refresh_from_db()
    community_services.membership_ban(membership=membership, by=scene["moderator"])
    html = page_as(client, thread, reader)
    assert controls(html, reply) == EXPECTED["anonymous"]
    assert "Silicone foam" in html

    # The community made private: a reader who is not a member gets a 404; a member still reads.
    community.visibility = Community.Visibility.PRIVATE
    community_services.community_save(community=community)
    client.logout()
    assert client.get(thread_url(thread)).status_code == 404
    client.force_login(reader)
    assert client.get(thread_url(thread)).status_code == 404
    assert "Silicone foam" in page_as(client, thread, scene["asker"])


def test_thread_page_counts_and_marks_update_on_the_next_request(client, scene):
    thread, reply, reader, asker = scene["thread"], scene["reply"], scene["reader"], scene["asker"]
    html = page_as(client, thread, None)
    assert '<span class="vote-count">0</span>' in html
    assert "Worked for" not in html and "✓ Accepted answer" not in html

    endorsements.vote_toggle(post=reply, voter=reader)
    endorsements.adoption_report(post=reply, member=reader, worked=True)
    endorsements.answer_accept(answer=reply, by=asker)
    html = page_as(client, thread, None)
    assert '<span class="vote-count">1</span>' in html
    assert "Worked for 1" in html
    assert "✓ Accepted answer" in html and "post-accepted" in html
    html = page_as(client, thread, reader)
    assert 'class="vote-button is-voted"' in html  # the reader's own vote
    assert "You said this worked for you" in html
    assert "You said this" not in page_as(client, thread, scene["moderator"])

    thread.refresh_from_db()
    endorsements.answer_unaccept(thread=thread, by=asker)
    endorsements.vote_toggle(post=reply, voter=reader)
    html = page_as(client, thread, None)
    assert "✓ Accepted answer" not in html and "post-accepted" not in html
    assert '<span class="vote-count">0</span>' in html


def test_thread_page_shows_an_authors_new_name_at_once(client, scene):
    thread, helper = scene["thread"], scene["helper"]
    assert "Helen Helper" not in page_as(client, thread, None)
    community_services.profile_update(
        profile=community_services.profile_for(helper), display_name="Helen Helper"
    )
    html = page_as(client, thread, None)
    assert "Helen Helper" in html
    # A reply quoting the renamed author names them anew as well.
    quote = answer(thread, scene["reader"], body="Agreed.", reply_to=scene["reply"])
    html = page_as(client, thread, None)
    assert f'<a href="#post-{scene["reply"].pk}">Helen Helper</a>' in html
    assert f'id="post-{quote.pk}"' in html
