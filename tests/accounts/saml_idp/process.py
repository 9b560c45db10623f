"""Start and stop the test SAML identity provider (serve.py) as a subprocess."""

import json
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class RunningIdP:
    base: str  # http://127.0.0.1:<port>
    certificate: str  # the signing certificate, PEM

    @property
    def entity_id(self) -> str:
        return f"{self.base}/metadata"

    @property
    def sso_url(self) -> str:
        return f"{self.base}/sso/redirect"


@contextmanager
def running_idp(folder: Path, *, sp_metadata_url: str, users: list):
    """Yield the IdP (its URLs and certificate) while it serves."""
    config = {"sp_metadata_url": sp_metadata_url, "users": users}
    log = folder / "stderr.txt"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.accounts.saml_idp.serve", json.dumps(config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            port = process.stdout.readline().strip()
            certificate = process.stdout.readline().strip()
            if not port or not certificate:
                process.wait(timeout=10)
                raise RuntimeError(f"the test SAML IdP did not start:\n{log.read_text()}")
            yield RunningIdP(base=f"http://127.0.0.1:{port}", certificate=json.loads(certificate))
        finally:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()
