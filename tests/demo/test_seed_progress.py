"""`make run` seeds the demo in the background: the seed's progress file and the notice every
page shows from it while the seed runs, its failure, and nothing once it is done or unset."""

import copy
import json
import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.management.commands import seed_demo
from demo.management.commands.seed_demo import stopped_cleanly
from demo.progress import ProgressWriter, progress_read
from tests.factories import UserFactory

PROCESSOR = "demo.context_processors.demo_seed_progress"


@pytest.fixture
def progress_file(tmp_path, settings):
    """The settings `make run` gives the server: the progress file and its context processor."""
    path = tmp_path / "demo-seed.json"
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["context_processors"].append(PROCESSOR)
    settings.TEMPLATES = templates
    settings.DEMO_SEED_PROGRESS_FILE = str(path)
    return path


def _home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_progress_writer_writes_nothing_without_a_path(tmp_path):
    writer = ProgressWriter(None)
    writer.begin("people")
    writer.step(1, 6, "x")
    writer.finish()
    assert list(tmp_path.iterdir()) == []


def test_progress_read_running_failed_done_and_missing(tmp_path):
    path = tmp_path / "p.json"
    assert progress_read(path) is None
    writer = ProgressWriter(path)
    writer.begin("activity")
    writer.step(3, 6, "Early-career teachers")
    progress = progress_read(path)
    assert (progress.state, progress.stage_number, progress.step, progress.steps) == (
        "running",
        2,
        3,
        6,
    )
    assert progress.still_to_come == [
        "the communities' libraries",
        "the search index",
        "expert scores",
        "dashboards",
    ]
    writer.fail("RuntimeError: disk full")
    assert progress_read(path).failed and progress_read(path).error == "RuntimeError: disk full"
    writer.finish()
    assert progress_read(path) is None
    path.write_text("{not json")
    assert progress_read(path) is None


def test_progress_read_a_seed_killed_without_a_word_is_a_failure(tmp_path):
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps({"state": "running", "stage": "activity", "pid": int(finished.stdout)})
    )
    progress = progress_read(path)
    assert progress.failed and "stopped" in progress.error


@pytest.mark.django_db
def test_notice_shows_the_stage_and_how_far_while_seeding(client, progress_file):
    writer = ProgressWriter(progress_file)
    writer.begin("activity")
    writer.step(3, 6, "Early-career teachers")
    page = _home(client)
    assert "Setting up the demo: step 2 of 6, a year of practice history, community 3 of 6" in page
    assert "(Early-career teachers)" in page
    assert (
        "Still to come: the communities&#x27; libraries, the search index, expert scores, "
        "dashboards." in page
    )
    writer.begin("metrics")
    writer.step(5, 6, "Physics teachers")
    page = _home(client)
    assert "step 6 of 6, dashboards, community 5 of 6 (Physics teachers)" in page
    assert "Still to come" not in page


@pytest.mark.django_db
def test_notice_shows_the_failure_and_how_to_retry(client, progress_file):
    writer = ProgressWriter(progress_file)
    writer.begin("search index")
    writer.fail("OperationalError: disk I/O error")
    page = _home(client)
    assert (
        "The demo could not be set up (at the search index): OperationalError: disk I/O error"
        in page
    )
    assert "run make run again" in page
    assert "Setting up the demo" not in page


@pytest.mark.django_db
def test_notice_disappears_when_the_seed_is_done(client, progress_file):
    writer = ProgressWriter(progress_file)
    writer.begin("people")
    assert "Setting up the demo" in _home(client)
    writer.finish()
    page = _home(client)
    assert "Setting up the demo" not in page and "demo-seed" not in page


@pytest.mark.django_db
def test_no_notice_and_no_processor_without_the_setting(client, tmp_path):
    assert settings.DEMO_SEED_PROGRESS_FILE is None
    assert PROCESSOR not in settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    ProgressWriter(tmp_path / "demo-seed.json").begin("people")  # a file nobody points to
    assert "demo-seed" not in _home(client)


@pytest.mark.django_db
def test_notice_adds_no_query(client, settings, tmp_path):
    client.force_login(UserFactory())
    client.get("/")  # warm the per-process caches
    with CaptureQueriesContext(connection) as without:
        client.get("/")
    path = tmp_path / "demo-seed.json"
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["context_processors"].append(PROCESSOR)
    settings.TEMPLATES = templates
    settings.DEMO_SEED_PROGRESS_FILE = str(path)
    ProgressWriter(path).begin("people")
    client.get("/")
    with CaptureQueriesContext(connection) as seeding:
        page = client.get("/").content.decode()
    assert "Setting up the demo" in page
    assert len(seeding.captured_queries) == len(without.captured_queries)


@pytest.mark.django_db(transaction=False)
def test_seed_demo_writes_its_stages_then_done(progress_file, monkeypatch):
    written = []
    monkeypatch.setattr(
        ProgressWriter, "_write", lambda self, **fields: written.append(fields), raising=True
    )
    call_command("seed_demo", "--no-activity", stdout=open(os.devnull, "w"))  # noqa: SIM115
    stages = [fields.get("stage") for fields in written if fields["state"] == "running"]
    assert stages == ["people", "search index", "expert scores"]
    assert written[-1]["state"] == "done"


@pytest.mark.django_db
def test_seed_demo_that_fails_says_where_and_why(progress_file, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("index broke")

    monkeypatch.setattr(seed_demo, "search_index_rebuild_community", broken)
    with pytest.raises(RuntimeError):
        call_command("seed_demo", "--no-activity", stdout=open(os.devnull, "w"))  # noqa: SIM115
    progress = progress_read(progress_file)
    assert progress.failed and progress.stage == "search index"
    assert progress.error == "RuntimeError: index broke"


def test_stopped_cleanly_turns_sigterm_into_system_exit():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit), stopped_cleanly():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before
