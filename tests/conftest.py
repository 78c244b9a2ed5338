"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (trust auth). Locally a missing server skips those
tests with the reason; on CI (CI=true) it is required and its absence fails the run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fcntl
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import settings as hypothesis_settings
from sqlalchemy.ext.asyncio import AsyncEngine

from exchange.db import create_engine, session_factory, transaction
from exchange.migrate import upgrade_async
from exchange.settings import Settings
from exchange.viewer import ANONYMOUS, Viewer

PG_ADMIN_URL = os.environ.get(
    "EXCHANGE_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = ["sqlite", "postgresql"]

# `make test-fast` loads this profile (--hypothesis-profile=fast): property tests whose examples
# each cost database rounds draw fewer there (see test_disclosure_properties.py); `make test` and
# CI draw them all.
hypothesis_settings.register_profile("fast", max_examples=10)


def _pg_available() -> str | None:
    async def probe() -> None:
        engine = create_engine(PG_ADMIN_URL)
        try:
            async with engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        finally:
            await engine.dispose()

    try:
        asyncio.run(probe())
        return None
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} unreachable: {type(exc).__name__}: {exc}"


_PG_PROBLEM: str | bool | None = False


def require_backend(backend: str) -> None:
    global _PG_PROBLEM
    if backend != "postgresql":
        return
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _pg_available()
    if _PG_PROBLEM:
        if ON_CI:
            pytest.fail(f"CI requires PostgreSQL: {_PG_PROBLEM}")
        pytest.skip(str(_PG_PROBLEM))


async def _admin_sql(sql: str) -> None:
    engine = create_engine(PG_ADMIN_URL)
    try:
        async with engine.connect() as conn:
            # test_harness: the suite's own CREATE/DROP DATABASE (run on a thread of their own,
            # at any moment), which statement counts leave out (tests/security/support.py).
            await conn.execution_options(isolation_level="AUTOCOMMIT", test_harness=True)
            await conn.exec_driver_sql(sql)
    finally:
        await engine.dispose()


async def _create_pg_database(name: str) -> str:
    await _admin_sql(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def _drop_pg_database(name: str) -> None:
    await _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Database:
    backend: str
    url: str
    settings: Settings
    engine: AsyncEngine

    @property
    def sessions(self) -> Any:
        return session_factory(self.engine)


async def _build(url: str, load: str) -> None:
    await upgrade_async(url)
    if load == "none":
        return
    from seed.bootstrap import initialise, load_reference

    engine = create_engine(url)
    try:
        if load == "all":
            await initialise(session_factory(engine))
        else:
            async with transaction(session_factory(engine)) as session:
                await load_reference(session)
        if url.startswith("sqlite"):
            async with engine.connect() as conn:  # fold the WAL into the file before copying it
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await engine.dispose()


# One test run (all of its xdist workers) shares its templates: a database built once per run for
# each (backend, load) and copied for every test that asks. Migrating and loading the reference
# data takes ~1 s; loading the whole shipped release ~10 s a backend, once per run, not per worker.
# The run's id is set once, before the workers start, and inherited by them.
RUN = os.environ.setdefault("EXCHANGE_TEST_RUN", uuid.uuid4().hex[:10])
_TEMPLATE_DIR = Path(tempfile.gettempdir()) / f"exchange-test-templates-{RUN}"
_TEMPLATES: dict[tuple[str, str], str] = {}


async def _template(backend: str, load: str) -> str:
    key = (backend, load)
    if key not in _TEMPLATES:
        name = f"exchange_tpl_{load}_{RUN}"
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{_TEMPLATE_DIR / (name + '.db')}"
        else:
            url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        _TEMPLATE_DIR.mkdir(exist_ok=True)
        # The first worker to ask builds it; the others wait on the lock, then find it built.
        with (_TEMPLATE_DIR / f"{backend}-{load}.lock").open("a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            built = _TEMPLATE_DIR / f"{backend}-{load}.built"
            if not built.exists():
                if backend == "postgresql":
                    await _drop_pg_database(name)  # a build that failed half way
                    await _create_pg_database(name)
                await _build(url, load)
                built.touch()
        _TEMPLATES[key] = url
    return _TEMPLATES[key]


class _PgCopies:
    """PostgreSQL databases copied from a template one test ahead, and dropped after use, on a
    thread (and event loop) of their own. CREATE DATABASE ... TEMPLATE and DROP DATABASE take
    ~0.3 s each here (the server fsyncs); done in line they were a third of `make test-fast`'s
    wall time, while on this thread they overlap the next test's own work. Each copy is the
    template as built, so a test sees exactly what it saw when it waited for its copy."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next: dict[str, concurrent.futures.Future[str]] = {}
        self._dropping: list[concurrent.futures.Future[None]] = []

    def _submit(self, coro: Any) -> concurrent.futures.Future[Any]:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, name="pg-copies", daemon=True).start()
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    @staticmethod
    async def _copy(template: str) -> str:
        name = f"exchange_test_{uuid.uuid4().hex[:10]}"
        await _admin_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    async def take(self, template: str) -> str:
        """A copy of ``template`` of the caller's own; the next one starts at once."""
        ready = self._next.pop(template, None) or self._submit(self._copy(template))
        name = await asyncio.wrap_future(ready)
        self._next[template] = self._submit(self._copy(template))
        return name

    def drop(self, name: str) -> None:
        self._dropping = [f for f in self._dropping if not f.done()]
        self._dropping.append(self._submit(_drop_pg_database(name)))

    def close(self) -> None:
        """Wait for every drop, drop the copies made ahead and not used, stop the thread."""
        for ready in self._next.values():
            with contextlib.suppress(Exception):  # a copy that failed has nothing to drop
                self.drop(ready.result())
        self._next.clear()
        for f in self._dropping:
            f.result()
        self._dropping.clear()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop = None


_PG_COPIES = _PgCopies()


async def drop_templates() -> None:
    """The run's template databases and files (once, by the process that started the run)."""
    engine = create_engine(PG_ADMIN_URL)
    try:
        async with engine.connect() as conn:
            names = (
                await conn.exec_driver_sql(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'exchange_tpl_%'"
                )
            ).scalars()
            ours = [n for n in names if n.endswith(f"_{RUN}")]
    finally:
        await engine.dispose()
    for name in ours:
        await _drop_pg_database(name)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # a worker: the run's templates outlive it
    with contextlib.suppress(Exception):  # no server here: nothing was built on it
        asyncio.run(drop_templates())
    shutil.rmtree(_TEMPLATE_DIR, ignore_errors=True)


async def make_database(backend: str, tmp: Path, *, load: str) -> tuple[Database, Any]:
    """load: "none" (schema only), "reference" (authorities, neighbours, metrics) or "all" (+ DfE data).

    Each database is a copy of a per-process template built the ordinary way (migrations, then
    the loaders), so tests still see exactly what `exchange init` produces."""
    template = await _template(backend, load)
    if backend == "sqlite":
        path = tmp / f"exchange_test_{uuid.uuid4().hex[:10]}.db"
        shutil.copyfile(template.split(":///", 1)[1], path)
        url = f"sqlite+aiosqlite:///{path}"

        async def cleanup() -> None:
            return None
    else:
        name = await _PG_COPIES.take(template.rsplit("/", 1)[1])
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

        async def cleanup() -> None:
            _PG_COPIES.drop(name)

    # Pseudonymous figures are released at once here; the release schedule (daily by default)
    # has tests of its own (tests/core/test_pseudonym_release.py).
    settings = Settings.from_env().model_copy(
        update={
            "database_url": url,
            "data_dir": tmp,
            "secret_key": "test-secret-" + url.rsplit("/", 1)[1],
            "pseudonym_release_seconds": 0,
        }
    )
    return Database(backend, url, settings, create_engine(url)), cleanup


@pytest_asyncio.fixture(scope="session", autouse=True)
async def _close_copies() -> AsyncIterator[None]:
    yield
    _PG_COPIES.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    require_backend(request.param)
    return str(request.param)


@pytest_asyncio.fixture(scope="session")
async def loaded_db(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """Reference data + all shipped DfE data. Shared by the session: tests must not change it."""
    db, cleanup = await make_database(
        backend, tmp_path_factory.mktemp(f"loaded-{backend}"), load="all"
    )
    yield db
    await db.engine.dispose()
    await cleanup()


@pytest_asyncio.fixture
async def fresh_db(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A database of its own with reference data only: for tests that write."""
    db, cleanup = await make_database(backend, tmp_path, load="reference")
    yield db
    await db.engine.dispose()
    await cleanup()


def services_for(db: Database) -> Any:
    from exchange.composition import build_services

    return build_services(db.settings, db.sessions)


async def run_graphql(
    db: Database, query: str, variables: dict[str, Any] | None = None, viewer: Viewer = ANONYMOUS
) -> dict[str, Any]:
    """Execute in-process (no HTTP): returns {"data": ..., "errors": [...]}."""
    from schema.context import Context

    ctx = Context(services_for(db), viewer)
    try:
        result = await schema_for(db.settings).execute(
            query, variable_values=variables, context_value=ctx
        )
    finally:
        await ctx.close()
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [e.formatted for e in result.errors]
    return out


# Schemas by the settings they are built from (schema.build.schema_key), not by Settings object:
# every fresh_db has its own Settings, and a schema built per test costs ~30 ms and misses
# strawberry's validation cache, which is keyed by schema (~10 ms a document). An id() key could
# also hand a test a schema built for other settings once the old Settings object is freed.
_schema_cache: dict[tuple[object, ...], Any] = {}


def schema_for(settings: Settings) -> Any:
    from schema.build import build_schema, schema_key

    key = schema_key(settings)
    schema = _schema_cache.get(key)
    if schema is None:
        schema = _schema_cache[key] = build_schema(settings)
    return schema


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def artifacts_dir() -> Iterator[Path]:
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    yield path


def http_client(db: Database) -> Any:
    """An httpx client speaking to the real ASGI app (in-process) on this database."""
    import httpx

    from exchange.app import create_app

    app = create_app(db.settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
