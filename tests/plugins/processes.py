"""Real processes for fault drills: a Redis of the test's own, a Celery worker, a gunicorn web.

Each is a subprocess the test starts, hurts (kill, SIGSTOP) and stops itself; none touches the
shared Redis on 6379. The worker and the web run the test settings on the test database
(``tests/plugins/process_settings.py``), with ``REDIS_URL`` pointing at the test's own Redis,
so the broker and the cache are configured exactly as in production.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STOP_TIMEOUT = 15


def free_port() -> int:
    """Return a local TCP port where nothing listens (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1) -> bool:
    """Poll *predicate* until it is true or *timeout* seconds have passed; return the last."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


class RedisServer:
    """A ``redis-server`` on a free port that keeps nothing on disk: killed, it comes back empty.

    ``kill`` and ``start`` again reuse the port, as a restarted Redis would; ``freeze`` and
    ``thaw`` send SIGSTOP and SIGCONT (a Redis that accepts connections and never answers).
    """

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="practica-redis-")
        self.process: subprocess.Popen | None = None
        self.frozen = False

    def start(self, timeout: float = 10.0) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                redis_server_path() or "redis-server", "--port", str(self.port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", self.dir, "--daemonize", "no",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if not wait_for(self.answers, timeout=timeout, interval=0.05):
            self.stop()
            raise RuntimeError(f"redis-server on port {self.port} did not answer PING")
        return self

    def answers(self) -> bool:
        import redis

        client = redis.Redis(port=self.port, socket_timeout=0.2, socket_connect_timeout=0.2)
        try:
            return client.ping()
        except redis.RedisError:
            return False
        finally:
            client.close()

    def kill(self):
        self.thaw()
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self):
        if self.frozen:
            os.kill(self.process.pid, signal.SIGCONT)
            self.frozen = False

    def stop(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class _Process:
    """A subprocess in its own session, its output in a file the test reads."""

    def __init__(self, args: list[str], env: dict[str, str], prefix: str):
        self.log_path = Path(tempfile.mkstemp(prefix=prefix, suffix=".log")[1])
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so stop() can end its children too (beat, gunicorn's)
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self):
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        # Whatever it left behind in its session (an orphaned beat or gunicorn worker).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()
        self.log_path.unlink(missing_ok=True)


def process_env(*, database_name: str, redis_url: str, **extra) -> dict[str, str]:
    """Return the environment of a worker or web process on the test database and *redis_url*."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.plugins.process_settings",
        "PRACTICA_PROCESS_DATABASE_NAME": database_name,
        "REDIS_URL": redis_url,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update({key: str(value) for key, value in extra.items()})
    return env


class CeleryWorker(_Process):
    """``celery -A config worker --pool=solo``, optionally with beat inside (``beat=names``)."""

    # Both queues by default (CELERY_TASK_ROUTES sends metrics runs to "metrics"), as one worker
    # of a small installation would; a drill can name one.
    def __init__(self, *, database_name, redis_url, queue="celery,metrics", beat=(), **env):
        self.name = f"drill-{uuid.uuid4().hex[:8]}"
        args = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
            "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=INFO", "-n", f"{self.name}@%h",
        ]  # fmt: skip
        if queue:
            args += ["-Q", queue]
        if beat:
            self.schedule_dir = tempfile.mkdtemp(prefix="practica-beat-")
            args += ["-B", "-s", os.path.join(self.schedule_dir, "schedule")]
            env["PRACTICA_PROCESS_BEAT"] = ",".join(beat)
        super().__init__(
            args,
            process_env(database_name=database_name, redis_url=redis_url, **env),
            prefix="practica-worker-",
        )

    def wait_ready(self, timeout: float = 60.0):
        if not wait_for(lambda: " ready." in self.output() or not self.alive(), timeout):
            raise RuntimeError(f"the worker was not ready after {timeout} s:\n{self.tail()}")
        if not self.alive():
            raise RuntimeError(f"the worker exited while starting:\n{self.tail()}")
        return self

    def stop(self):
        super().stop()
        if hasattr(self, "schedule_dir"):
            shutil.rmtree(self.schedule_dir, ignore_errors=True)


class WebServer(_Process):
    """gunicorn with sync workers, as in production, on a free port of 127.0.0.1."""

    def __init__(self, *, database_name, redis_url, workers=3, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
            "--timeout", "30", "--graceful-timeout", "5", "--no-control-socket",
        ]  # fmt: skip
        super().__init__(
            args,
            process_env(database_name=database_name, redis_url=redis_url, **env),
            prefix="practica-web-",
        )

    def wait_ready(self, timeout: float = 30.0):
        def listening():
            with socket.socket() as sock:
                sock.settimeout(0.2)
                return sock.connect_ex(("127.0.0.1", self.port)) == 0

        if not wait_for(lambda: listening() or not self.alive(), timeout):
            raise RuntimeError(f"gunicorn did not listen after {timeout} s:\n{self.tail()}")
        if not self.alive():
            raise RuntimeError(f"gunicorn exited while starting:\n{self.tail()}")
        return self
