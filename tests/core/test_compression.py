"""HTML goes out gzip-compressed when the client accepts it (Django's GZipMiddleware, with its
"Heal The BREACH" random padding); static files come from WhiteNoise's precompressed files with
far-future cache headers for hashed names; downloads keep their security headers."""

import gzip
import random
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings
from django.urls import reverse
from whitenoise.middleware import WhiteNoiseMiddleware

from demo.data import phrases
from knowledge.services import attachments
from practice.services import endorsements
from tests.core.conftest import PRODUCTION_STATIC_STORAGES
from tests.knowledge.ka_helpers import publish
from tests.practice.factories import answer, ask, member_of, moderator_of

# The goal for a thread page with 50 answers of varied real text, on the wire.
WIRE_GOAL = 20_000
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}
FIRST_NAMES = ("Amara", "Bram", "Chiara", "Dmitri", "Eilidh", "Femi", "Greta", "Hiro", "Ines")
LAST_NAMES = ("Okafor", "van Dijk", "Rossi", "Ivanov", "MacLeod", "Adeyemi", "Berg", "Sato")


def answer_body(rng, topic) -> str:
    """An answer composed as the demo composes them (``demo.practice``): opener, advice, closer."""
    opener = rng.choice(phrases.ANSWER_OPENERS).format(years=rng.randint(4, 22))
    points = rng.sample(topic.advice, k=min(rng.randint(2, 4), len(topic.advice)))
    if rng.random() < 0.6:
        middle = "\n".join(f"{i}. {p}." for i, p in enumerate(points, 1))
    else:
        middle = " ".join(f"{p}." for p in points)
    return "\n\n".join(
        part for part in (opener, middle, rng.choice(phrases.ANSWER_CLOSERS)) if part
    )


@pytest.fixture
def long_thread(open_community):
    """A question with 50 answers by 50 people, one accepted, some votes. The answers are the
    demo's, each on a topic drawn from every demo community (about 11 KB of distinct advice),
    so they repeat each other far less than one real thread would: a hard case for gzip."""
    rng = random.Random(10)
    topics = [topic for domain in phrases.DOMAINS.values() for topic in domain.topics]
    topic = phrases.WOUND.topics[0]
    asker = member_of(open_community, first_name="Nadia", last_name="Haddad")
    thread = ask(
        open_community,
        asker,
        title=topic.titles[0].format(x=topic.fills[0]),
        body=rng.choice(topic.context).format(x=topic.fills[0]),
    )
    people = [
        member_of(
            open_community, first_name=rng.choice(FIRST_NAMES), last_name=rng.choice(LAST_NAMES)
        )
        for _ in range(50)
    ]
    posts = [answer(thread, person, body=answer_body(rng, rng.choice(topics))) for person in people]
    for post in posts[::3]:
        endorsements.vote_toggle(
            post=post, voter=rng.choice([p for p in people if p != post.author])
        )
    endorsements.answer_accept(answer=posts[7], by=asker)
    return thread, asker


def thread_url(thread):
    return reverse("practice:thread", args=[thread.community.slug, thread.pk])


def comparable(html: bytes) -> str:
    """The page without what differs on every response: CSP nonces, masked CSRF tokens and
    the forms' one-time submission keys."""
    text = html.decode()
    text = re.sub(r'nonce="[^"]*"', 'nonce=""', text)
    return re.sub(r'(name="(?:csrfmiddlewaretoken|submission_key)" value=")[^"]*"', r'\1"', text)


def test_gzip_sits_after_whitenoise_and_before_everything_reading_the_body():
    middleware = settings.MIDDLEWARE
    gzip_at = middleware.index("core.compression.RenderedGZipMiddleware")
    assert middleware[gzip_at - 1] == "whitenoise.middleware.WhiteNoiseMiddleware"
    assert middleware[0] == "django.middleware.security.SecurityMiddleware"


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_thread_page_is_gzipped_when_accepted_and_plain_otherwise(client, long_thread, viewer):
    thread, asker = long_thread
    if viewer == "member":
        client.force_login(asker)
    plain = client.get(thread_url(thread))
    assert plain.status_code == 200
    assert not plain.has_header("Content-Encoding")
    assert "Accept-Encoding" in plain["Vary"]

    compressed = client.get(thread_url(thread), **GZIP)
    assert compressed.status_code == 200
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    assert int(compressed["Content-Length"]) == len(compressed.content)
    html = gzip.decompress(compressed.content)
    assert comparable(html) == comparable(plain.content)

    size = len(compressed.content)
    print(
        f"\n{viewer}: {len(plain.content):,} bytes plain, {size:,} gzipped (goal ≤ {WIRE_GOAL:,})"
    )
    assert size <= WIRE_GOAL


@pytest.mark.django_db
def test_padding_varies_the_length_of_identical_responses(client, long_thread):
    """Heal The BREACH: 0-99 random bytes in the gzip header, so equal pages differ in length."""
    thread, _asker = long_thread
    client.get(thread_url(thread))  # warm whatever a first request computes
    lengths = {len(client.get(thread_url(thread), **GZIP).content) for _ in range(8)}
    assert len(lengths) > 1


@pytest.mark.django_db
def test_download_is_sent_as_stored_with_its_length_and_security_headers(
    client, open_community, settings, tmp_path
):
    """An attachment is a file download: not gzipped (often already compressed), and its
    Content-Length stays for the browser's progress bar."""
    settings.KNOWLEDGE_ATTACHMENT_ROOT = tmp_path / "attachments"
    member, moderator = member_of(open_community), moderator_of(open_community)
    item = publish(open_community, member, moderator)
    data = b"Wound care checklist\n" * 200
    upload = SimpleUploadedFile("checklist.txt", data, content_type="text/plain")
    attachment = attachments.attachment_add(item=item, by=moderator, upload=upload)
    url = reverse("knowledge:attachment", args=[open_community.slug, item.pk, attachment.pk])

    response = client.get(url, **GZIP)
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == data
    assert not response.has_header("Content-Encoding")
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert "private" in response["Cache-Control"]

    plain = client.get(url)
    assert b"".join(plain.streaming_content) == data
    assert not plain.has_header("Content-Encoding")


def test_static_files_are_served_precompressed_and_cached_for_ever(collected_static_root):
    """As production serves them: the manifest's hashed name, its .gz, cached for ten years."""
    with override_settings(
        STATIC_ROOT=collected_static_root,
        STORAGES=PRODUCTION_STATIC_STORAGES,
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
    ):
        from django.templatetags.static import static

        url = static("css/practica.css")
        assert re.search(r"practica\.[0-9a-f]{12}\.css$", url)
        assert (collected_static_root / (url.removeprefix(settings.STATIC_URL) + ".gz")).exists()
        whitenoise = WhiteNoiseMiddleware(get_response=lambda request: None)
        factory = RequestFactory()

        hashed = whitenoise(factory.get(url, **GZIP))
        assert hashed.status_code == 200
        assert hashed["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in hashed["Vary"]
        assert hashed["Cache-Control"] == "max-age=315360000, public, immutable"
        body = gzip.decompress(b"".join(hashed.streaming_content))
        assert body == (collected_static_root / "css" / "practica.css").read_bytes()

        unhashed = whitenoise(factory.get("/static/css/practica.css", **GZIP))
        assert unhashed["Cache-Control"] == "max-age=60, public"
        for response in (hashed, unhashed):
            response.file_to_stream.close()
