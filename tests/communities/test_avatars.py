"""Members' pictures and initials (issue #13, item 5): processing an upload, the upload view,
serving, and where faces show."""

import re
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from communities import avatars
from communities.models import Profile
from tests.factories import UserFactory, make_member
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


def image_bytes(fmt="PNG", size=(300, 200), colour=(200, 40, 40), exif=None) -> bytes:
    buffer = BytesIO()
    image = Image.new("RGB", size, colour)
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def upload(name="me.png", data=None, content_type="image/png"):
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type)


def stored_files() -> set[str]:
    try:
        return set(default_storage.listdir(avatars.FOLDER)[1])
    except FileNotFoundError:
        return set()


# --- processing ----------------------------------------------------------------------------------


def test_avatar_images_are_square_webp_at_both_sizes():
    images = avatars.avatar_images(upload(data=image_bytes(size=(640, 360))))
    assert set(images) == {256, 64}
    for size, data in images.items():
        with Image.open(BytesIO(data)) as image:
            assert image.format == "WEBP" and image.size == (size, size)


def test_avatar_images_strip_exif_and_gps():
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x0110] = "Secret phone"  # Model
    exif[GPS_IFD] = {1: "N", 2: (52.0, 22.0, 1.0)}
    data = image_bytes("JPEG", exif=exif.tobytes())
    with Image.open(BytesIO(data)) as original:
        assert original.getexif().get(0x0110) == "Secret phone"  # the upload carried it
    images = avatars.avatar_images(upload("me.jpg", data, "image/jpeg"))
    for data in images.values():
        with Image.open(BytesIO(data)) as image:
            assert not image.getexif()
            assert "exif" not in image.info and "icc_profile" not in image.info
        assert b"Secret phone" not in data and b"Camera maker" not in data


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("me.svg", b"<svg onload=alert(1)>", "cannot be a picture"),
        ("me.pdf", b"%PDF-1.4", "cannot be a picture"),
        ("me.png", b"", "empty"),
        ("me.png", b"GIF89a not a png", "not a .png file"),
        ("me.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "we can read"),
        ("me.jpg", image_bytes("JPEG")[:200], "damaged"),
    ],
)
def test_avatar_images_refuse_bad_files(name, data, message):
    with pytest.raises(ValidationError) as refused:
        avatars.avatar_images(upload(name, data))
    assert message in str(refused.value.message_dict["avatar"])


def test_avatar_images_refuse_a_file_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(avatars, "MAX_BYTES", 1000)
    with pytest.raises(ValidationError, match="the limit is"):
        avatars.avatar_images(upload(data=image_bytes(size=(400, 400)) + b"\x00" * 2000))


def test_avatar_images_refuse_too_many_pixels_before_decoding():
    # A small file that decodes to 6,000 × 5,000 pixels (30 megapixels).
    huge = Image.new("1", (6000, 5000))
    buffer = BytesIO()
    huge.save(buffer, "PNG")
    assert len(buffer.getvalue()) < avatars.MAX_BYTES
    with pytest.raises(ValidationError, match="6000 × 5000 pixels"):
        avatars.avatar_images(upload(data=buffer.getvalue()))


def test_initials_and_colours():
    assert avatars.initials("Sam Rivera") == "SR"
    assert avatars.initials("Ana Maria de la Cruz") == "AC"
    assert avatars.initials("demo") == "D"
    assert avatars.initials("  ") == "?"
    assert avatars.colour_index(7) == avatars.colour_index(17)
    html = avatars.avatar_html(user_id=3, name="Sam & <Rivera>", stem="", size=32)
    assert 'class="avatar avatar-initials avatar-c3"' in html and 'aria-hidden="true"' in html
    assert ">SR<" in html and "<Rivera>" not in html


# --- the upload view -----------------------------------------------------------------------------


@pytest.fixture
def member_client():
    user = UserFactory(username="sam")
    client = Client()
    client.force_login(user)
    return user, client


def test_upload_view_saves_a_picture_and_serves_it(member_client):
    user, client = member_client
    url = reverse("communities:profile_avatar")
    response = client.post(url, {"avatar": upload()})
    assert response.status_code == 302
    stem = Profile.objects.get(user=user).avatar
    assert re.fullmatch(r"[0-9a-f]{32}", stem)
    assert stored_files() >= {f"{stem}-256.webp", f"{stem}-64.webp"}
    served = client.get(avatars.avatar_url(stem, 64))
    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    assert "immutable" in served["Cache-Control"]
    with Image.open(BytesIO(b"".join(served.streaming_content))) as image:
        assert image.size == (64, 64)
    # A new picture gets a new name; removing goes back to initials.
    response = client.post(url, {"avatar": upload(data=image_bytes(colour=(0, 90, 0)))})
    assert response.status_code == 302
    assert Profile.objects.get(user=user).avatar != stem
    response = client.post(url, {"remove": "1"})
    assert response.status_code == 302
    assert Profile.objects.get(user=user).avatar == ""


def test_upload_view_refuses_bad_input_with_the_form_and_writes_nothing(member_client):
    user, client = member_client
    before = stored_files()
    response = client.post(
        reverse("communities:profile_avatar"), {"avatar": upload("me.png", b"not an image")}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "not a .png file" in content and 'class="error-message"' in content
    assert Profile.objects.get(user=user).avatar == ""
    assert stored_files() == before
    missing = client.post(reverse("communities:profile_avatar"), {})
    assert missing.status_code == 400 and "This field is required" in missing.content.decode()


def test_upload_view_needs_login_post_and_csrf(member_client):
    user, _ = member_client
    url = reverse("communities:profile_avatar")
    anonymous = Client().post(url, {"avatar": upload()})
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(url, {"avatar": upload()}).status_code == 403
    assert strict.get(url).status_code == 405
    assert Profile.objects.get(user=user).avatar == ""


def test_avatar_view_opens_only_names_it_wrote(client):
    assert client.get("/avatars/../../settings.py").status_code == 404
    for name in ("x" * 32 + "-64.webp", "0" * 32 + "-64.png", "0" * 32 + "-64.webp"):
        assert client.get(reverse("communities:avatar", args=[name])).status_code == 404


# --- where faces show ----------------------------------------------------------------------------


def test_thread_page_shows_the_new_picture_at_once(client, open_community):
    # The post fragments are cached under a digest of what they show: the picture is part of it.
    asker = member_of(open_community)
    sam = member_of(open_community, username="sam")
    thread = ask(open_community, asker)
    answer(thread, sam)
    first = client.get(thread.get_absolute_url()).content.decode()
    assert "avatar-initials" in first
    avatars.profile_avatar_set(user=sam, upload=upload())
    stem = Profile.objects.get(user=sam).avatar
    second = client.get(thread.get_absolute_url()).content.decode()
    assert avatars.avatar_url(stem, 64) in second


def test_members_page_shows_faces_without_a_query_per_member(
    client, open_community, django_assert_max_num_queries
):
    viewer = make_member(open_community).user
    client.force_login(viewer)
    url = reverse("communities:members", args=[open_community.slug])
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(8):
        member = make_member(open_community).user
        avatars.profile_avatar_set(user=member, upload=upload())
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('class="avatar"') >= 8
