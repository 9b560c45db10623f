"""Atom feeds of a community's latest threads, and of one tag's.

Feed readers fetch without a session, so a feed shows only what an anonymous visitor may read:
open and request communities have feeds; a private community has none (always 404, even for
its members' browsers — its members follow it in the app and by email instead).
"""

from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from communities import permissions
from communities.models import display_name
from practice.selectors import threads as selectors


class CommunityThreadsFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, slug, tag=""):
        # Always as an anonymous reader: a feed URL must not leak what a session could see.
        community = permissions.access_community_content(user=AnonymousUser(), slug=slug)
        community.feed_tag = " ".join(tag.split()).lower()[:100]
        return community

    def title(self, community):
        if community.feed_tag:
            return f"{community.name}: threads tagged “{community.feed_tag}”"
        return f"{community.name}: latest threads"

    def subtitle(self, community):
        return community.domain

    def link(self, community):
        url = reverse("practice:thread_list", args=[community.slug])
        if community.feed_tag:
            url += "?" + urlencode({"tag": community.feed_tag})
        return url

    def feed_url(self, community):
        if community.feed_tag:
            return reverse("practice:tag_feed", args=[community.slug, community.feed_tag])
        return reverse("practice:feed", args=[community.slug])

    def items(self, community):
        return selectors.feed_threads(community=community, tag=community.feed_tag)

    def item_title(self, thread):
        return f"{thread.get_kind_display()}: {thread.title}"

    def item_description(self, thread):
        # Sanitized when the post was saved (Markdown with raw HTML off, then nh3).
        return thread.opening_post.body_html if thread.opening_post else ""

    def item_link(self, thread):
        return reverse("practice:thread", args=[thread.community.slug, thread.pk])

    def item_author_name(self, thread):
        return display_name(thread.author)

    def item_pubdate(self, thread):
        return thread.created_at

    def item_updateddate(self, thread):
        return thread.last_activity_at

    def item_categories(self, thread):
        return [tag.name for tag in thread.tags.all()]
