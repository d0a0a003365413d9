"""A real OpenID Connect provider for the single sign-on tests: tests/support/oidc/provider.mjs
(the OpenID-certified `oidc-provider` package) run by node on a free port.

Its packages are the ones pinned in tests/support/oidc/package-lock.json, installed with
`npm ci` into var/npm/oidc-provider/ the first time (and again when the lock file changes).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.support.stack import free_port

SOURCE = Path(__file__).resolve().parent / "oidc"
INSTALL = Path(__file__).resolve().parents[2] / "var" / "npm" / "oidc-provider"
FILES = ("package.json", "package-lock.json", "provider.mjs")


def installed() -> Path:
    """The provider's directory with its pinned packages installed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("node and npm are not installed: run scripts/install-system-packages.sh")
    digest = hashlib.sha256(b"".join((SOURCE / name).read_bytes() for name in FILES[:2])).hexdigest()
    marker = INSTALL / ".installed"
    INSTALL.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(SOURCE / name, INSTALL / name)
    if not marker.exists() or marker.read_text() != digest:
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=INSTALL, capture_output=True,
                              text=True, timeout=600)
        if proc.returncode:
            pytest.fail(f"npm ci for the test OpenID provider failed: {proc.stderr.strip()[-800:]}")
        marker.write_text(digest)
    return INSTALL


class OidcProvider:
    """The provider, with one client (`client_id`) whose redirect URI is `redirect_uri`, and `users`
    ({login: {"password", "sub", "email", "name"}}) who sign in on its login form."""

    client_id = "coursework-test"

    def __init__(self, workdir: Path, users: dict[str, dict]):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.client_secret = os.urandom(16).hex()
        self.users = {login: {**user, "login": login} for login, user in users.items()}
        self.log_path = workdir / "oidc-provider.log"
        self.proc: subprocess.Popen | None = None

    def site_env(self) -> dict[str, str]:
        """The settings that point a stack at this provider (as docs/operations.md tells an operator)."""
        return {
            "OIDC_OP_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": self.issuer + "/auth",
            "OIDC_OP_TOKEN_ENDPOINT": self.issuer + "/token",
            "OIDC_OP_USER_ENDPOINT": self.issuer + "/me",
            "OIDC_OP_JWKS_ENDPOINT": self.issuer + "/jwks",
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_PROVIDER_NAME": "Test University",
        }

    def start(self, redirect_uri: str) -> "OidcProvider":
        directory = installed()
        env = {**os.environ, "OIDC_TEST_PORT": str(self.port), "OIDC_TEST_REDIRECT_URI": redirect_uri,
               "OIDC_TEST_CLIENT_ID": self.client_id, "OIDC_TEST_CLIENT_SECRET": self.client_secret,
               "OIDC_TEST_USERS": json.dumps(self.users)}
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([shutil.which("node"), "provider.mjs"], cwd=directory, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.issuer + "/.well-known/openid-configuration", timeout=5).ok:
                    return self
            except requests.ConnectionError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the test OpenID provider did not start:\n" + self.log_path.read_text()[-3000:])
            time.sleep(0.2)

    def tamper(self, mode: str) -> None:
        """Answer the next sign-ins as a hostile provider would ("" for an honest one again)."""
        requests.post(self.issuer + "/__test__/tamper", data={"mode": mode}, timeout=5).raise_for_status()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
