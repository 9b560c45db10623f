"""The thread page's reader controls (issue #13, items 2 and 3): "Worked for me" is a visible
button beside the vote for readers who may report, submitting the adoption form (CSRF and all,
no script needed); a "Jump to reply" link comes first in the page's content; phones get a
sticky reply button; the keyboard shortcuts' script is loaded."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from practice.models import AdoptionReport
from practice.services import endorsements

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


def page_as(client, thread, user) -> str:
    client.logout()
    if user is not None:
        client.force_login(user)
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def worked_button(html: str, post) -> str | None:
    """The visible "Worked for me" button of *post*, if the page has it."""
    match = re.search(
        rf'<button type="submit" form="adoption-{post.pk}" name="worked" value="yes"[^>]*>'
        r".*?</button>",
        html,
        re.DOTALL,
    )
    return match.group(0) if match else None


def post_side(html: str, post) -> str:
    start = html.index(f'<article id="post-{post.pk}"')
    return html[start : html.index('<div class="post-main">', start)]


def test_worked_for_me_is_a_visible_button_beside_the_vote_for_a_reader(client, scene):
    reply = scene["reply"]
    html = page_as(client, scene["thread"], scene["reader"])
    button = worked_button(html, reply)
    assert button is not None and "Worked for me" in button
    # It sits in the post's side column, right after the vote button, not inside <details>.
    side = post_side(html, reply)
    assert "vote-button" in side and button in side
    assert side.index("vote-button") < side.index(button)
    # The form it submits: the adoption view, with the page's CSRF token.
    url = reverse("practice:post_adoption", args=[reply.community.slug, reply.pk])
    form = re.search(
        rf'<form method="post" action="{url}"'
        rf' class="adoption-form" id="adoption-{reply.pk}"><input type="hidden" '
        r'name="csrfmiddlewaretoken" value="[^"]+">',
        html,
    )
    assert form is not None
    # "Didn't work" and the note stay one click away, in the same form.
    assert "Didn't work? Add a note" in html
    assert "Tried it? Tell how it went" not in html


def test_worked_for_me_follows_todays_rule_for_who_may_report(client, scene):
    thread, reply = scene["thread"], scene["reply"]
    assert worked_button(page_as(client, thread, None), reply) is None  # anonymous
    assert worked_button(page_as(client, thread, scene["helper"]), reply) is None  # the author
    assert worked_button(page_as(client, thread, scene["asker"]), reply) is not None
    # The opening post takes no report (as today), so it has no button.
    assert worked_button(page_as(client, thread, scene["reader"]), thread.opening_post) is None
    # Once reported, the reader sees what they said and can take it back, not the button.
    endorsements.adoption_report(post=reply, member=scene["reader"], worked=True)
    html = page_as(client, thread, scene["reader"])
    assert worked_button(html, reply) is None
    assert "You said this worked for you" in html
    assert "Worked for 1" in html  # the counts, as before


def test_worked_for_me_without_script_posts_the_form_with_its_csrf_token(scene):
    thread, reply, reader = scene["thread"], scene["reply"], scene["reader"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    html = client.get(thread.get_absolute_url()).content.decode()
    form = re.search(rf'<form[^>]*id="adoption-{reply.pk}">(.*?)</form>', html, re.DOTALL)
    action = re.search(r'action="([^"]+)"', form.group(0)).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(1)).group(1)
    # What the browser sends for the button: the form's fields plus the button's name=value.
    assert client.post(action, {"worked": "yes", "note": ""}).status_code == 403  # no token
    response = client.post(action, {"csrfmiddlewaretoken": token, "note": "", "worked": "yes"})
    assert response.status_code == 302
    report = AdoptionReport.objects.get(post=reply, member=reader)
    assert report.worked is True


def test_jump_to_reply_comes_first_in_the_content(client, scene):
    thread = scene["thread"]
    for user in (None, scene["reader"]):
        html = page_as(client, thread, user)
        main = html[html.index('<main id="main"') :]
        link = main.index('<a class="jump-to-reply" href="#reply">Jump to reply</a>')
        # Before any other link of the content (the community's header, the breadcrumb).
        assert main.find("<a ") == link
        assert 'id="reply"' in html
        assert 'src="/static/js/shortcuts.js"' in html


def test_sticky_reply_button_is_for_readers_who_may_reply(client, scene):
    thread = scene["thread"]
    html = page_as(client, thread, scene["reader"])
    assert '<a class="button sticky-reply" href="#reply">Answer</a>' in html
    assert "has-sticky-reply" in html
    html = page_as(client, thread, None)
    assert "sticky-reply" not in html
