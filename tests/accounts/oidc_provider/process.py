"""Start and stop the test OpenID Connect provider (serve.py) as a subprocess."""

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


@contextmanager
def running_provider(
    folder: Path, *, client_id: str, client_secret: str, redirect_uris: list[str], users: list
):
    """Yield the provider's issuer URL (``http://127.0.0.1:<port>/o``) while it serves."""
    config = {
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uris": redirect_uris,
        "users": users,
    }
    env = {**os.environ, "OIDC_PROVIDER_DB": str(folder / "provider.sqlite3")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = folder / "stderr.txt"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.accounts.oidc_provider.serve", json.dumps(config)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            port = process.stdout.readline().strip()
            if not port:
                process.wait(timeout=10)
                raise RuntimeError(f"the test OIDC provider did not start:\n{log.read_text()}")
            yield f"http://127.0.0.1:{port}/o"
        finally:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()
