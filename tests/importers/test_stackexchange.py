"""The Stack Exchange importer, tested through the product: pages, people, history, the log."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.urls import reverse

from communities import services as community_services
from communities.models import Interaction, Membership
from core.models import OutboundEmail
from importers import services as import_services
from importers.models import ImportRun, SourceRecord
from importers.selectors import thread_attribution
from knowledge.models import ExpertSource
from knowledge.services.experts import experts_fill
from metrics.models import MemberMetrics, MetricsState, TieStrength
from metrics.services import metrics_compute
from notifications.models import Notification
from practice.models import Post, PostMention, PostRevision, Thread, Vote
from practice.services import follows
from practice.services import threads as thread_services
from search.indexing import rebuild_community
from search.models import SearchEntry
from tests.factories import CommunityFactory, UserFactory

User = get_user_model()
SAMPLE = Path(__file__).parent / "fixtures" / "cooking.stackexchange.com"
SITE = "cooking.stackexchange.com"


def run_import(directory, community, *extra, site=SITE) -> str:
    out = StringIO()
    call_command(
        "import_stackexchange", str(directory), "--community", community.slug, "--site", site,
        *extra, stdout=out,
    )  # fmt: skip
    return out.getvalue()


def imported_thread(community, question_id: int) -> Thread:
    record = SourceRecord.objects.get(
        community=community, kind=SourceRecord.Kind.QUESTION, source_id=str(question_id)
    )
    return Thread.objects.get(pk=record.target_id)


def fingerprint(community) -> dict:
    """What a reader sees of the community's imported content, independent of ids."""
    threads = Thread.objects.filter(community=community).order_by("created_at")
    return {
        "threads": [
            (
                t.title,
                t.status,
                t.is_locked,
                t.reply_count,
                t.answer_count,
                t.created_at,
                t.last_activity_at,
                t.accepted_at,
                sorted(t.tags.names()),
            )
            for t in threads
        ],
        "posts": sorted(
            (p.created_at, p.author.profile.display_name, p.body, p.is_answer, p.edited_at)
            for p in Post.objects.filter(community=community).select_related("author__profile")
        ),
        "revisions": sorted(
            (r.number, r.body, r.created_at, r.editor.profile.display_name)
            for r in PostRevision.objects.filter(post__community=community).select_related(
                "editor__profile"
            )
        ),
        "interactions": sorted(
            (i.kind, i.occurred_at, i.actor.profile.display_name, i.target.profile.display_name)
            for i in Interaction.objects.filter(community=community).select_related(
                "actor__profile", "target__profile"
            )
        ),
        "records": SourceRecord.objects.filter(community=community).count(),
    }


@pytest.fixture
def community(db):
    return CommunityFactory(name="Home cooks", slug="cooks", visibility="open")


@pytest.mark.django_db
def test_import_sample_thread_page_shows_accepted_answer_and_attribution(client, community):
    output = run_import(SAMPLE, community)

    assert "Import finished. 3 questions" in output
    assert Thread.objects.filter(community=community).count() == 3
    basil = imported_thread(community, 10)
    assert basil.title == "How do I keep fresh basil from wilting?"  # the title edit applied
    assert sorted(basil.tags.names()) == ["basil", "herbs", "storage-method"]
    assert basil.created_at.isoformat() == "2012-05-01T10:00:00+00:00"
    accepted = Post.objects.get(pk=basil.accepted_post_id)
    assert accepted.author.profile.display_name == "Carol"
    assert basil.status == Thread.Status.SOLVED
    assert basil.answer_count == 2 and basil.reply_count == 4  # 2 answers, 2 comments

    response = client.get(basil.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Imported from <strong>cooking.stackexchange.com</strong>" in page
    assert 'href="https://cooking.stackexchange.com/questions/10"' in page
    assert "CC BY-SA 3.0" in page and "Score there: 15." in page
    assert "Alice Fernández" in page and "bob_the_baker" in page
    assert "blend with oil" in page  # the accepted answer's code block, from its history


@pytest.mark.django_db
def test_import_sample_revisions_keep_history_and_editors(client, community):
    run_import(SAMPLE, community)
    opening = imported_thread(community, 10).opening_post
    revisions = list(opening.revisions.order_by("number").select_related("editor__profile"))
    # The initial text, then the author's edit; the third version is the post itself.
    assert [r.body.splitlines()[0] for r in revisions] == [
        "I buy fresh basil and it wilts within two days. What I tried: the fridge.",
        "I buy fresh basil and it wilts within **two days**. What I tried:",
    ]
    assert revisions[0].title == "Keeping basil fresh"
    assert revisions[0].editor.profile.display_name == "Alice Fernández"
    # Carol's edit of Alice's post is carried by the import account (only authors and
    # moderators edit here); the record keeps who made it there.
    assert revisions[1].editor.profile.display_name == f"{SITE} import"
    assert SourceRecord.objects.get(kind="revision", source_id="1004").data["editor"] == "Carol"
    assert opening.body.endswith("How do you keep basil fresh for a week?")
    assert opening.edited_at.isoformat() == "2012-05-03T09:00:00+00:00"
    history = client.get(reverse("practice:post_history", args=[community.slug, opening.pk]))
    assert history.status_code == 200
    assert "Keeping basil fresh" in history.content.decode()


@pytest.mark.django_db
def test_import_sample_people_are_inactive_placeholders(community):
    run_import(SAMPLE, community)
    people = SourceRecord.objects.filter(community=community, kind="person")
    users = User.objects.filter(pk__in=people.values("target_id")).select_related("profile")
    names = {u.profile.display_name for u in users}
    assert {"Alice Fernández", "bob_the_baker", "Carol", "Old Timer", "a passer-by"} <= names
    assert all(not u.is_active and not u.has_usable_password() and not u.email for u in users)
    alice = next(u for u in users if u.profile.display_name == "Alice Fernández")
    membership = Membership.objects.get(user=alice, community=community)
    assert membership.state == Membership.State.ACTIVE
    assert membership.joined_at.isoformat() == "2010-07-09T19:02:40.117000+00:00"


@pytest.mark.django_db
def test_import_sample_closed_question_locked_and_scores_not_votes(client, community):
    run_import(SAMPLE, community)
    closed = imported_thread(community, 20)
    assert closed.is_locked and closed.status == Thread.Status.LOCKED
    page = client.get(closed.get_absolute_url()).content.decode()
    assert "Closed there on 2013-02-11" in page and "duplicate of" in page
    assert Vote.objects.filter(post__community=community).count() == 0
    assert SourceRecord.objects.get(kind="answer", source_id="12").score == 21


@pytest.mark.django_db
def test_import_sample_interactions_and_inert_mentions(community):
    carol_here = UserFactory(username="Carol")  # a real member who is not that Carol
    run_import(SAMPLE, community)
    kinds = sorted(
        (i.kind, i.actor.profile.display_name, i.target.profile.display_name)
        for i in Interaction.objects.filter(community=community).select_related(
            "actor__profile", "target__profile"
        )
    )
    assert ("accept", "Alice Fernández", "Carol") in kinds
    assert ("answer", "bob_the_baker", "Alice Fernández") in kinds
    assert ("reply", "bob_the_baker", "Alice Fernández") in kinds  # comment 100
    assert ("answer", "Alice Fernández", "Old Timer") in kinds
    assert not PostMention.objects.filter(user=carol_here).exists()
    assert not Interaction.objects.filter(target=carol_here).exists()


@pytest.mark.django_db
def test_import_followed_by_search_index_and_one_metrics_request(client, community):
    run_import(SAMPLE, community)
    page = client.get(reverse("search:search"), {"q": "whetstone"}).content.decode()
    assert "Whetstone or honing rod?" in page
    page = client.get(reverse("search:search"), {"q": "blanch"}).content.decode()
    assert "How do I keep fresh basil from wilting?" in page  # found by its answer
    state = MetricsState.objects.get(community=community)
    assert state.pending_since is not None  # asked once, after the whole import


@pytest.mark.django_db
def test_import_notifies_and_emails_nobody(community, mailoutbox):
    follower = UserFactory()
    community_services.membership_join(community=community, user=follower)
    follows.community_follow(user=follower, community=community)
    run_import(SAMPLE, community)
    assert Notification.objects.count() == 0
    assert OutboundEmail.objects.count() == 0 and mailoutbox == []


@pytest.mark.django_db
def test_import_twice_adds_nothing(community):
    run_import(SAMPLE, community)
    first = fingerprint(community)
    users = User.objects.count()
    output = run_import(SAMPLE, community)
    assert fingerprint(community) == first
    assert User.objects.count() == users
    assert "questions already imported: 3" in output
    assert ImportRun.objects.filter(community=community, status="done").count() == 2


@pytest.mark.django_db
def test_import_interrupted_resumes_to_a_clean_import(community, monkeypatch):
    clean = CommunityFactory(slug="clean")
    run_import(SAMPLE, clean)

    real = import_services.question_import
    calls = {"n": 0}

    def crash_after_one(**kwargs):
        if calls["n"] == 1:
            raise RuntimeError("the power went out")
        calls["n"] += 1
        return real(**kwargs)

    monkeypatch.setattr(import_services, "question_import", crash_after_one)
    with pytest.raises(RuntimeError):
        run_import(SAMPLE, community, "--one-by-one")
    assert Thread.objects.filter(community=community).count() == 1
    assert ImportRun.objects.get(community=community).status == "failed"
    monkeypatch.setattr(import_services, "question_import", real)

    run_import(SAMPLE, community)
    assert fingerprint(community) == fingerprint(clean)


@pytest.mark.django_db
def test_import_dry_run_writes_nothing(community):
    users = User.objects.count()
    output = run_import(SAMPLE, community, "--dry-run")
    assert "Dry run: nothing was written." in output
    assert "questions to import: 3" in output and "comments to import: 3" in output
    assert Thread.objects.count() == 0 and User.objects.count() == users
    assert SourceRecord.objects.count() == 0 and ImportRun.objects.count() == 0


@pytest.mark.django_db
def test_import_thread_written_here_shows_no_attribution(client, community):
    run_import(SAMPLE, community)
    member = UserFactory()
    community_services.membership_join(community=community, user=member)
    ours = thread_services.thread_create(
        community=community, author=member, kind="question", title="Ours", body="Written here."
    )
    assert thread_attribution(user=member, thread=ours) == {}
    page = client.get(ours.get_absolute_url()).content.decode()
    assert "Imported from" not in page and "Written here." in page


# --- bad input -----------------------------------------------------------------------------------


def _dump(tmp_path, **files) -> Path:
    folder = tmp_path / "broken.stackexchange.com"
    folder.mkdir()
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode()
        (folder / f"{name}.xml").write_bytes(data)
    return folder


def _post(pid, kind=1, **attrs) -> str:
    defaults = {
        "CreationDate": "2020-01-01T10:00:00.000",
        "Score": "1",
        "Body": "&lt;p&gt;Some body&lt;/p&gt;",
        "OwnerUserId": "7",
    }
    if kind == 1:
        defaults |= {"Title": f"Question {pid}", "Tags": "|one|"}
    defaults |= attrs
    rendered = " ".join(f'{k}="{v}"' for k, v in defaults.items())
    return f'  <row Id="{pid}" PostTypeId="{kind}" {rendered} />\n'


@pytest.mark.django_db
def test_import_bad_input_gets_report_lines_not_tracebacks(tmp_path, community):
    posts = (
        '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
        + _post(1)
        + _post(2, kind=2, ParentId="1", OwnerUserId="8")
        + _post(3, kind=2, ParentId="999")  # unknown parent
        + _post(4, kind=42)  # unknown post type
        + _post(5, CreationDate="yesterday")  # invalid date
        + _post(6, Title="")  # no title: the service refuses it
        + _post(7, kind=2, ParentId="1", Body="&lt;p&gt;nul&#0;here&lt;/p&gt;")
        + _post(8, kind=2, ParentId="1").replace("Some body", "Some\0 body")
        + '  <row Id="9" PostTypeId="1" CreationDate="2020-01-0'  # truncated
    )
    comments = '<?xml version="1.0"?>\n<comments>\n  <row Id="1" PostId="555" Text="x" CreationDate="2020-01-01T00:00:00" />\n</comments>\n'  # noqa: E501
    folder = _dump(tmp_path, Posts=posts, Comments=comments, Votes="")
    report_file = tmp_path / "report.txt"
    output = run_import(folder, community, "--report", str(report_file), site="broken.example")
    report = report_file.read_text()
    assert "Posts.xml: the XML breaks off at line" in report
    assert "answer 3: its question 999 is not in the dump" in report
    assert "post 4: an unknown post type '42', not imported." in report
    assert "Posts.xml row 5: the date 'yesterday' is not a date; post skipped." in report
    assert "question 6: not imported (Give your thread a title.)" in report
    assert "Posts.xml: removed 2 NUL bytes or control-character references" in report
    assert "comment 1: its post 555 is not in the dump" in report
    assert "Votes.xml: the file is empty" in report
    assert "Users.xml is not in the dump: people are shown as “user 123”" in report
    assert "report lines (written to" in output
    thread = imported_thread(community, 1)
    assert thread.author.profile.display_name == "user 7"
    bodies = set(Post.objects.filter(thread=thread).values_list("body", flat=True))
    assert "nulhere" in bodies and "Some body" in bodies
    assert not any("\0" in b for b in bodies)


@pytest.mark.django_db
def test_import_fatal_errors_are_one_sentence(tmp_path, community):
    with pytest.raises(CommandError, match="Posts.xml is empty: there is nothing to import."):
        run_import(_dump(tmp_path, Posts=""), community)
    with pytest.raises(CommandError, match="There is no Posts.xml in"):
        run_import(SAMPLE.parent, community)
    with pytest.raises(CommandError, match="is not a folder"):
        run_import(tmp_path / "nowhere", community)
    missing = CommunityFactory.build(slug="nobody-here")
    with pytest.raises(CommandError, match="There is no community with the slug"):
        run_import(SAMPLE, missing)


@pytest.mark.django_db
def test_import_without_optional_files_uses_posts_html(tmp_path, community):
    folder = tmp_path / SITE
    folder.mkdir()
    shutil.copy(SAMPLE / "Posts.xml", folder / "Posts.xml")
    run_import(folder, community)
    basil = imported_thread(community, 10)
    assert basil.opening_post.revisions.count() == 0
    assert "- the fridge" in basil.opening_post.body  # the HTML list, converted
    answer = Post.objects.get(pk=SourceRecord.objects.get(kind="answer", source_id="12").target_id)
    assert "```\n1. blanch 5 s" in answer.body  # a code block, no language ("lang-none")
    # The image inside a link: the link, labelled with the image's text; no remote image.
    assert "[basil cubes](https://i.example.org/cubes.jpg)" in answer.body
    assert "![" not in answer.body and "cubes-small" not in answer.body
    assert answer.author.profile.display_name == "user 3"


# --- interactions only between people we know ---------------------------------------------------


def nobodies_dump(tmp_path) -> Path:
    """Posts and comments without an owner (each an "unknown person") and by the site's bot
    (-1) next to ones by users 7 and 8, known by id only (no Users.xml)."""

    def row(pid, kind, owner=None, **attrs):
        attrs = {"CreationDate": f"2020-01-0{pid}T10:00:00.000", "Score": "1",
                 "Body": "&lt;p&gt;Some body&lt;/p&gt;", **attrs}  # fmt: skip
        if owner is not None:
            attrs["OwnerUserId"] = owner
        if kind == 1:
            attrs |= {"Title": f"Question {pid}", "Tags": "|one|"}
        rendered = " ".join(f'{k}="{v}"' for k, v in attrs.items())
        return f'  <row Id="{pid}" PostTypeId="{kind}" {rendered} />\n'

    posts = (
        '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
        + row(1, 1, AcceptedAnswerId="2")  # asked by nobody we know
        + row(2, 2, "7", ParentId="1")
        + row(3, 2, "-1", ParentId="1")  # the bot
        + row(4, 1, "7", AcceptedAnswerId="5")
        + row(5, 2, "8", ParentId="4")
        + row(6, 2, None, ParentId="4")
        + "</posts>\n"
    )

    def comment(cid, post, user, text):
        by = f' UserId="{user}"' if user is not None else ""
        return (
            f'  <row Id="{cid}" PostId="{post}"{by} Text="{text}" '
            f'CreationDate="2020-01-07T0{cid}:00:00" />\n'
        )

    comments = (
        '<?xml version="1.0"?>\n<comments>\n'
        + comment(1, 1, "8", "On the question of nobody")
        + comment(2, 2, "-1", "The bot on 7")
        + comment(3, 5, None, "Nobody on 8")
        + comment(4, 2, "8", "Eight on seven")
        + "</comments>\n"
    )
    votes = (
        '<?xml version="1.0"?>\n<votes>\n'
        '  <row Id="1" PostId="2" VoteTypeId="1" CreationDate="2020-01-08T00:00:00" />\n'
        '  <row Id="2" PostId="5" VoteTypeId="1" CreationDate="2020-01-08T00:00:00" />\n'
        "</votes>\n"
    )
    return _dump(tmp_path, Posts=posts, Comments=comments, Votes=votes)


def logged_between(community) -> list:
    return sorted(
        (i.kind, i.actor.profile.display_name, i.target.profile.display_name)
        for i in Interaction.objects.filter(community=community).select_related(
            "actor__profile", "target__profile"
        )
    )


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["bulk", "one by one"])
def test_import_interactions_only_between_known_people(tmp_path, community, path):
    run_import(nobodies_dump(tmp_path), community, *(["--one-by-one"] if path != "bulk" else []))
    bot = f"{SITE} Community (bot)"
    people = dict(
        Membership.objects.filter(community=community).values_list(
            "user_id", "user__profile__display_name"
        )
    )
    nobodies = {uid for uid, name in people.items() if name in ("unknown person", bot)}
    # Everyone is there, with their posts: question 1, answer 6 and comment 3 each by an
    # unknown person of their own, answer 3 and comment 2 by the bot.
    assert sorted(people[uid] for uid in nobodies) == [bot, *["unknown person"] * 3]
    assert Post.objects.filter(community=community, author_id__in=nobodies).count() == 5
    # Only what passed between users 7 and 8 (a known id is a person, even without Users.xml).
    between_known = [("accept", "user 7", "user 8"), ("answer", "user 8", "user 7"),
                     ("reply", "user 8", "user 7")]  # fmt: skip
    assert logged_between(community) == between_known

    metrics_compute(community_id=community.pk)
    ties = TieStrength.objects.filter(community=community)
    assert ties.count() == 1
    assert not ties.filter(Q(user_a__in=nobodies) | Q(user_b__in=nobodies)).exists()
    degrees = {
        m.user_id: m.degree for m in MemberMetrics.objects.filter(snapshot__community=community)
    }
    assert {degrees[uid] for uid in nobodies} == {0}

    # Mapping a person to a real account rebuilds the log from the content: still no one else.
    real = UserFactory(username="seven")
    community_services.profile_update(profile=real.profile, display_name="Seven (here)")
    import_services.placeholder_map(community=community, site=SITE, person="7", to_user=real)
    assert logged_between(community) == [
        ("accept", "Seven (here)", "user 8"),
        ("answer", "user 8", "Seven (here)"),
        ("reply", "user 8", "Seven (here)"),
    ]


# --- mapping a placeholder to a real account -----------------------------------------------------


@pytest.mark.django_db
def test_map_person_hands_posts_to_the_real_account(client, community):
    run_import(SAMPLE, community)
    real = UserFactory(username="alice")
    community_services.profile_update(profile=real.profile, display_name="Alice F. (here)")
    placeholder_id = SourceRecord.objects.get(kind="person", source_id="1").target_id
    out = StringIO()
    call_command(
        "import_map_person", "1", "alice", "--community", community.slug, "--site", SITE,
        stdout=out,
    )  # fmt: skip
    assert "3 posts of person 1" in out.getvalue()  # question 10, answer 31, comment 101
    basil = imported_thread(community, 10)
    assert basil.author == real and basil.opening_post.author == real
    assert not Post.objects.filter(author_id=placeholder_id).exists()
    assert Membership.objects.get(community=community, user=real).state == "active"
    # The log follows the new authorship (rebuilt from the content).
    accept = Interaction.objects.get(community=community, kind="accept")
    assert accept.actor == real
    page = client.get(basil.get_absolute_url()).content.decode()
    assert "Alice F. (here)" in page and "Imported from" in page
    # A second run of the dump adds nothing and makes no new placeholder for her.
    before = fingerprint(community)
    run_import(SAMPLE, community)
    assert fingerprint(community) == before
    with pytest.raises(CommandError, match="already mapped"):
        call_command("import_map_person", "1", "alice", "--community", community.slug,
                     "--site", SITE)  # fmt: skip
    with pytest.raises(CommandError, match="has id 999"):
        call_command("import_map_person", "999", "alice", "--community", community.slug,
                     "--site", SITE)  # fmt: skip


@pytest.mark.django_db
def test_admin_action_hands_a_person_over(client, community):
    run_import(SAMPLE, community)
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    UserFactory(username="carol-here")
    client.force_login(admin_user)
    record = SourceRecord.objects.get(kind="person", source_id="3")
    url = reverse("admin:importers_sourcerecord_changelist")
    form = client.post(url, {"action": "map_to_account", "_selected_action": [record.pk]})
    assert form.status_code == 200 and "Hand an imported person" in form.content.decode()
    wrong = client.post(
        url,
        {"action": "map_to_account", "_selected_action": [record.pk], "confirm": "1",
         "username": "nobody"},
    )  # fmt: skip
    assert "There is no account with this username." in wrong.content.decode()
    done = client.post(
        url,
        {"action": "map_to_account", "_selected_action": [record.pk], "confirm": "1",
         "username": "carol-here"},
    )  # fmt: skip
    assert done.status_code == 302
    assert imported_thread(community, 10).accepted_post.author.username == "carol-here"


@pytest.mark.django_db
def test_import_unexpected_error_skips_that_question_whole(community, monkeypatch, tmp_path):
    real = import_services._ThreadWriter._create_answer

    def odd(self, answer, version):
        if answer.id == 12:
            raise ValueError("something nobody foresaw")
        return real(self, answer, version)

    monkeypatch.setattr(import_services._ThreadWriter, "_create_answer", odd)
    report = tmp_path / "report.txt"
    run_import(SAMPLE, community, "--report", str(report), "--one-by-one")
    assert "question 10: not imported, with its answers and comments (ValueError: something " in (
        report.read_text()
    )
    # Nothing of question 10 is left, not even its answer 11 or its new people's posts.
    assert not SourceRecord.objects.filter(kind="question", source_id="10").exists()
    assert not Post.objects.filter(community=community, body__contains="cut flowers").exists()
    assert Thread.objects.filter(community=community).count() == 2
    # The people made for question 10 went with it; later questions made theirs again (Alice
    # asked 10 and answered 31): no post points at an account that is not there.
    authors = set(Post.objects.filter(community=community).values_list("author_id", flat=True))
    assert authors <= set(User.objects.values_list("pk", flat=True))
    monkeypatch.undo()
    run_import(SAMPLE, community)
    assert Thread.objects.filter(community=community).count() == 3


@pytest.mark.django_db
def test_import_pages_answer_every_viewer(client, community):
    run_import(SAMPLE, community)
    moderator = UserFactory()
    community_services.membership_import(
        community=community, user=moderator, at=basil_time(community), role="moderator"
    )
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    urls = [imported_thread(community, q).get_absolute_url() for q in (10, 20, 30)]
    urls.append(reverse("practice:thread_list", args=[community.slug]))
    for viewer in (None, moderator, admin_user):
        if viewer is not None:
            client.force_login(viewer)
        for url in urls:
            assert client.get(url).status_code == 200, (viewer, url)


def basil_time(community):
    return imported_thread(community, 10).created_at


@pytest.mark.django_db
def test_import_search_index_and_expert_scores_as_a_rebuild_makes_them(community):
    run_import(SAMPLE, community)

    def state():
        entries = SearchEntry.objects.filter(community=community).values_list(
            "kind", "object_id", "thread_id", "title", "text", "is_solved", "updated_at"
        )
        sources = ExpertSource.objects.values_list("kind", "object_id", "scores", "tags")
        return sorted(entries), sorted(sources, key=repr)

    imported = state()
    assert imported[0] and imported[1]
    rebuild_community(community)
    experts_fill()
    assert state() == imported
