"""Time `make run` from a fresh clone until the first page answers and until the demo is
seeded (issue #10, "demo seed").

    .venv/bin/python bench/demo_seed.py                  # clone this checkout's HEAD
    .venv/bin/python bench/demo_seed.py --rev 6acb76f    # an older commit, for "before"
    .venv/bin/python bench/demo_seed.py --runs 3 --against a113728   # HEAD, a113728, HEAD, ...
    .venv/bin/python bench/demo_seed.py --keep           # keep the clone (its venv, its db)
    .venv/bin/python bench/demo_seed.py --port 8105      # serve on this port (default: a free one)

Clones the repository into a temporary folder, runs `make run ADDRESS=127.0.0.1:<free port>`
there (the clone has no .venv and no db.sqlite3: everything is installed, migrated and seeded
as a newcomer's first `make run` does), polls http://127.0.0.1:<port>/ until it answers 200,
then keeps asking for / about once a second (each answer's status and time are kept) until the
seed prints "Demo ready" (where `make run` seeds before serving, that is before the first
page), then stops it all with SIGINT, as Ctrl-C does, and says whether any process of the run
outlived that. Prints the wall time of each phase (make echoes each command before it runs
it), the seed's own closing lines (wall and CPU seconds), the CPU time of every finished child
process (user + sys: less sensitive to other load than wall time) and the load average before
and after. With --against, runs the two commits alternately and prints the medians. Nothing is
asserted: the figures go to bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PHASES = [  # (name, what starts it in make's echoed output)
    ("venv + pip", "-m venv"),
    ("pip install", "pip install"),
    ("migrate", "manage.py migrate"),
    ("seed (and server)", "manage.py seed_demo"),
    ("server start", "manage.py runserver"),
]
STOPPED_WITHIN = 15.0  # seconds after SIGINT before the rest of the run is killed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    """Return the status of GET *url* (0 when nothing answered) and its body."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, ""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def default_signals() -> None:
    # Started from a shell's background job, SIGINT is ignored, and children inherit that: the
    # run is to see what Ctrl-C in a terminal does.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie make (reaped below) still counts: look for a live member.
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def one_run(rev: str, *, port: int, timeout: float, keep: bool) -> dict | None:
    folder = Path(tempfile.mkdtemp(prefix="practica-seed-"))
    clone = folder / "practica"
    url = f"http://127.0.0.1:{port}/"
    load_before = os.getloadavg()
    print(f"== {rev}: load average before: {load_before}")
    cpu_before = children_cpu()
    started = time.monotonic()
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", rev], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VIRTUAL_ENV")}
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        ["make", "run", f"ADDRESS=127.0.0.1:{port}"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # one process group: make, pip, manage.py and runserver's child
        preexec_fn=default_signals,
    )
    marks: list[tuple[str, float]] = [("clone", 0.0)]
    lines: list[str] = []
    seeded: list[float] = []

    def read_output() -> None:
        for line in process.stdout:
            lines.append(line.rstrip())
            for name, needle in PHASES:
                if needle in line and not any(n == name for n, _ in marks):
                    marks.append((name, time.monotonic() - started))
            if line.startswith("Demo ready"):
                seeded.append(time.monotonic() - started)

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    first_page = None
    notice = False
    answers: list[tuple[int, float]] = []  # (status, seconds) of each GET / while seeding
    while time.monotonic() - started < timeout and process.poll() is None:
        asked = time.monotonic()
        status, body = fetch(url)
        if first_page is None and status == 200:
            first_page = time.monotonic() - started
            notice = "Setting up the demo" in body
        elif first_page is not None:
            answers.append((status, time.monotonic() - asked))
        if first_page is not None and seeded:
            break
        time.sleep(1.0 if first_page is not None else 0.25)
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=STOPPED_WITHIN)
        deadline = time.monotonic() + STOPPED_WITHIN
        while group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.25)
        left_running = group_alive(process.pid)
    except subprocess.TimeoutExpired:
        left_running = True
    if left_running:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    reader.join(timeout=5)
    cpu = children_cpu() - cpu_before
    load_after = os.getloadavg()
    print(f"load average after:  {load_after}")
    commit = ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"]
    print(f"commit: {subprocess.check_output(commit, text=True).strip()}")
    if first_page is None or not seeded:
        print("\n".join(lines[-40:]))
        print("the first page never answered 200" if first_page is None else "never seeded")
        return None
    marks.append(("first page", first_page))
    print("phase               starts at   lasts")
    for (name, at), (_next, until) in zip(marks, marks[1:], strict=False):
        print(f"  {name:<18}{at:8.1f} s {until - at:7.1f} s")
    print(f"clone -> first page 200: {first_page:.1f} s (progress notice shown: {notice})")
    print(f"clone -> seed finished (Demo ready): {seeded[0]:.1f} s")
    if answers:
        statuses = sorted({status for status, _ in answers})
        slowest = max(seconds for _, seconds in answers)
        print(
            f"GET / while seeding: {len(answers)} answers, statuses {statuses}, "
            f"median {statistics.median(s for _, s in answers):.2f} s, slowest {slowest:.2f} s"
        )
    for line in lines:
        if line.startswith(("Demo ready", "Seed phases", "Practice activity:", "Repertoire:")):
            print(line)
    print(f"CPU of the finished children (make and all it ran): {cpu:.1f} s")
    print(f"processes left running after SIGINT: {'yes (killed)' if left_running else 'none'}")
    if keep:
        print(f"kept: {clone}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return {"first_page": first_page, "seeded": seeded[0], "load": (load_before, load_after)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD", help="the commit to clone (default: HEAD)")
    parser.add_argument("--against", help="a second commit, run alternately with --rev")
    parser.add_argument("--runs", type=int, default=1, help="runs of each commit")
    parser.add_argument("--keep", action="store_true", help="keep the clone afterwards")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--port", type=int, default=0, help="serve here (default: a free port)")
    args = parser.parse_args()

    revs = [args.rev] + ([args.against] if args.against else [])
    results: dict[str, list[dict]] = {rev: [] for rev in revs}
    for _ in range(args.runs):
        for rev in revs:
            port = args.port or free_port()
            result = one_run(rev, port=port, timeout=args.timeout, keep=args.keep)
            if result is not None:
                results[rev].append(result)
    if args.runs > 1 or args.against:
        print("\n== medians")
        for rev, runs in results.items():
            if not runs:
                print(f"  {rev}: no run finished")
                continue
            pages = [r["first_page"] for r in runs]
            seeds = [r["seeded"] for r in runs]
            loads = [load for r in runs for load in r["load"]]
            print(
                f"  {rev}: {len(runs)} runs; first page {statistics.median(pages):.1f} s "
                f"({', '.join(f'{p:.1f}' for p in pages)}); seeded "
                f"{statistics.median(seeds):.1f} s ({', '.join(f'{s:.1f}' for s in seeds)}); "
                f"1-min load {min(x[0] for x in loads):.1f}-{max(x[0] for x in loads):.1f}"
            )
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
