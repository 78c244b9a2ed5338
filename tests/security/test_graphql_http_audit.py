"""GraphQL over HTTP conformance: every server audit of the npm package graphql-http (61 in 1.23)
against a real server process; all must be ``ok`` (no warnings either).

The package is pinned in tests/node/package.json + package-lock.json and installed with
``npm ci`` into tests/node/node_modules (git-ignored) the first time this test runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ON_CI, Database
from tests.security.procs import ROOT, serve, server_env

NODE_DIR = ROOT / "tests" / "node"
pytestmark = pytest.mark.slow


def _npm_ci() -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        if ON_CI:
            pytest.fail("CI needs Node.js and npm for the graphql-http audit")
        pytest.skip("Node.js/npm not installed")
    installed = NODE_DIR / "node_modules" / ".package-lock.json"
    lock = NODE_DIR / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        message = f"npm ci failed: {done.stderr[-2000:]}"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)


def test_every_graphql_http_server_audit_is_ok(loaded_db: Database, tmp_path: Path) -> None:
    _npm_ci()
    env = server_env(loaded_db.url, tmp_path)
    with serve(env, tmp_path / "server.log") as server:
        done = subprocess.run(
            ["node", "audit.mjs", server.url + "/graphql"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    version = json.loads((NODE_DIR / "node_modules/graphql-http/package.json").read_text())
    assert len(results) >= 61, (version["version"], len(results))
    not_ok = [
        f"{r['id']} {r['status']}: {r['name']} — {r['reason']}"
        for r in results
        if r["status"] != "ok"
    ]
    assert not not_ok, "\n".join(not_ok)
