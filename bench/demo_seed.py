"""Time `make run` from a fresh clone until the first page answers (issue #10, "demo seed").

    .venv/bin/python bench/demo_seed.py                  # clone this checkout's HEAD
    .venv/bin/python bench/demo_seed.py --rev 6acb76f    # an older commit, for "before"
    .venv/bin/python bench/demo_seed.py --keep           # keep the clone (its venv, its db)
    .venv/bin/python bench/demo_seed.py --port 8105      # serve on this port (default: a free one)

Clones the repository into a temporary folder, runs `make run ADDRESS=127.0.0.1:<free port>`
there (the clone has no .venv and no db.sqlite3: everything is installed, migrated and seeded
as a newcomer's first `make run` does), polls http://127.0.0.1:<port>/ until it answers 200,
then stops the server. Prints the wall time of each phase (make echoes each command before it
runs it), the seed's own "Demo ready" line (wall and CPU seconds), the CPU time of every
finished child process (user + sys: less sensitive to other load than wall time) and the load
average before and after. Nothing is asserted: the figures go to bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import socket
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
    ("seed", "manage.py seed_demo"),
    ("server start", "manage.py runserver"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD", help="the commit to clone (default: HEAD)")
    parser.add_argument("--keep", action="store_true", help="keep the clone afterwards")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--port", type=int, default=0, help="serve here (default: a free port)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="practica-seed-"))
    clone = folder / "practica"
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}/"
    print(f"load average before: {os.getloadavg()}")
    started = time.monotonic()
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", args.rev], check=True)
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
    )
    marks: list[tuple[str, float]] = [("clone", 0.0)]
    lines: list[str] = []

    def read_output() -> None:
        for line in process.stdout:
            lines.append(line.rstrip())
            for name, needle in PHASES:
                if needle in line and not any(n == name for n, _ in marks):
                    marks.append((name, time.monotonic() - started))

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    first_page = None
    while time.monotonic() - started < args.timeout and process.poll() is None:
        if answers(url):
            first_page = time.monotonic() - started
            break
        time.sleep(0.25)
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    reader.join(timeout=5)
    cpu = children_cpu()
    print(f"load average after:  {os.getloadavg()}")
    commit = ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"]
    print(f"commit: {subprocess.check_output(commit, text=True).strip()}")
    if first_page is None:
        print("\n".join(lines[-40:]))
        print("the first page never answered 200")
        return 1
    marks.append(("first page", first_page))
    print("phase           starts at   lasts")
    for (name, at), (_next, until) in zip(marks, marks[1:], strict=False):
        print(f"  {name:<14}{at:8.1f} s {until - at:7.1f} s")
    print(f"clone -> first page 200: {first_page:.1f} s")
    for line in lines:
        if line.startswith(("Demo ready", "Seed phases", "Practice activity:", "Repertoire:")):
            print(line)
    print(f"CPU of the finished children (make and all it ran): {cpu:.1f} s")
    if args.keep:
        print(f"kept: {clone}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
