"""A link written before threads had pages (the thread's address + #post-N) still reaches the
post on a long thread: the page's script sends it on to the post's own address."""

import pytest

from practice.selectors.threads import POSTS_PER_PAGE
from tests.factories import CommunityFactory
from tests.practice.factories import ask, member_of
from tests.practice.test_thread_pages import bulk_posts

pytestmark = pytest.mark.e2e


def test_an_old_post_anchor_on_a_long_thread_lands_on_the_posts_page(page, live_server):
    community = CommunityFactory(name="Wound care nurses", slug="wound-care", visibility="open")
    thread = ask(community, member_of(community))
    posts = bulk_posts(thread, [member_of(community) for _ in range(3)], POSTS_PER_PAGE + 5)
    later = posts[-1]
    page.goto(f"{live_server.url}{thread.get_absolute_url()}#post-{later.pk}")
    page.wait_for_url(f"**?page=2#post-{later.pk}")
    assert page.locator(f"#post-{later.pk}").is_visible()
    # A post already on the page is left alone.
    first = posts[0]
    page.goto(f"{live_server.url}{thread.get_absolute_url()}#post-{first.pk}")
    page.wait_for_load_state("load")
    assert page.url.endswith(f"{thread.get_absolute_url()}#post-{first.pk}")
