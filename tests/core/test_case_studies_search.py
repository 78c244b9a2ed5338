"""The search outbox: drained after commit, rebuilt by reindex, and caught up after a process is
killed between its commit and its index update. Plus the demo seed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from exchange.casestudies import indexing, repository, service, vocab
from exchange.casestudies.models import CaseStudy
from exchange.db import create_engine, session_factory, transaction
from exchange.observations.models import Observation
from exchange.viewer import Viewer
from search.port import CaseStudyDocument, SearchQuery
from search.tantivy_adapter import TantivyBackend
from tests.conftest import make_database, run_graphql, services_for
from tests.core.case_study_support import WEST_BERKSHIRE, case_study_values, publisher

ROOT = Path(__file__).resolve().parent.parent.parent
EXCHANGE = str(Path(sys.executable).parent / "exchange")


def _ids(backend: Any, text: str = "", **filters: tuple[str, ...]) -> list[str]:
    return [h.id for h in backend.search(SearchQuery(text=text, filters=filters, limit=50)).hits]


async def _publish(db: Any, viewer: Viewer, **overrides: Any) -> CaseStudy:
    async with transaction(db.sessions) as session:
        cs = await service.create(session, viewer, case_study_values(**overrides))
        return await service.publish(session, viewer, cs.public_id)


async def test_drain_indexes_published_and_removes_withdrawn(fresh_db: Any, tmp_path: Path) -> None:
    backend = TantivyBackend(tmp_path / "index")
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    async with transaction(fresh_db.sessions) as session:
        draft = await service.create(session, owner, case_study_values(title="Only a draft"))
    cs = await _publish(fresh_db, owner)
    report = await indexing.drain(fresh_db.sessions, backend, fresh_db.settings.secret_key)
    assert report.rows == 3 and report.upserted >= 1
    assert _ids(backend, "psychologist") == [cs.public_id]
    assert draft.public_id not in _ids(backend)
    async with fresh_db.sessions() as session:
        assert await repository.pending_count(session) == 0
    async with transaction(fresh_db.sessions) as session:
        await service.withdraw(session, owner, cs.public_id)
    await indexing.drain(fresh_db.sessions, backend, fresh_db.settings.secret_key)
    assert backend.count() == 0


async def test_pseudonymous_documents_carry_no_authority_only_the_label(fresh_db: Any) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    named = await _publish(fresh_db, owner, title="Named write-up")
    hidden = await _publish(fresh_db, owner, title="Pseudonymous write-up", pseudonymous=True)
    async with fresh_db.sessions() as session:
        docs = {
            d.id: d
            for d in await indexing.documents(
                session, [named, hidden], fresh_db.settings.secret_key
            )
        }
    assert docs[named.public_id].authority_code == WEST_BERKSHIRE
    assert docs[named.public_id].author_label == "West Berkshire"
    doc = docs[hidden.public_id]
    assert doc.authority_code is None
    assert doc.author_label.startswith("Authority ") and "Berkshire" not in doc.author_label
    assert doc.region == "South East"  # the South East has far more than five authorities
    text = " ".join(str(v) for v in vars(doc).values())
    # The code as a word: a timestamp such as 1796286907 holds the digits 869 by chance.
    assert "West Berkshire" not in text and WEST_BERKSHIRE not in re.findall(r"\w+", text)


async def test_reindex_rebuilds_from_the_database(fresh_db: Any, tmp_path: Path) -> None:
    backend = TantivyBackend(tmp_path / "index")
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    kept = await _publish(fresh_db, owner)
    backend.upsert([_stray("not-in-the-database")])
    # The index lost the case study and the outbox lost the row (a restored backup, say).
    async with transaction(fresh_db.sessions) as session:
        await repository.remove_outbox(session, await repository.all_pending_ids(session))
    assert _ids(backend) == ["not-in-the-database"]
    total = await indexing.reindex(fresh_db.sessions, backend, fresh_db.settings.secret_key)
    assert total == 1
    assert _ids(backend) == [kept.public_id]


def _stray(doc_id: str) -> CaseStudyDocument:
    return CaseStudyDocument(
        id=doc_id,
        title="Stray",
        summary="",
        body="",
        themes=(),
        phase="IMPLEMENTATION",
        region=None,
        authority_type=None,
        authority_code=None,
        author_label="x",
        evidence_strength=0,
        metrics=(),
        year=2024,
        published_at=0,
    )


class _ChangesDuringIndexing:
    """Wraps a backend; the first upsert commits another change to the same case study first,
    as a second worker would between our read and our index write."""

    def __init__(self, inner: TantivyBackend, db: Any, public_id: str) -> None:
        self.inner, self.db, self.public_id, self.fired = inner, db, public_id, False
        self.name = "racing"

    def upsert(self, docs: Sequence[CaseStudyDocument]) -> None:
        if not self.fired:
            self.fired = True
            import asyncio

            async def change() -> None:
                engine = create_engine(self.db.url)  # its own pool, on this thread's loop
                try:
                    async with transaction(session_factory(engine)) as session:
                        await session.execute(
                            update(CaseStudy)
                            .where(CaseStudy.public_id == self.public_id)
                            .values(title="Renamed meanwhile", revision=CaseStudy.revision + 1)
                        )
                finally:
                    await engine.dispose()

            asyncio.run(change())  # runs in the drain's worker thread, on its own loop
        self.inner.upsert(docs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_a_change_committed_while_indexing_is_requeued(fresh_db: Any, tmp_path: Path) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    cs = await _publish(fresh_db, owner)
    inner = TantivyBackend(tmp_path / "index")
    racing = _ChangesDuringIndexing(inner, fresh_db, cs.public_id)
    report = await indexing.drain(fresh_db.sessions, racing, fresh_db.settings.secret_key)  # type: ignore[arg-type]
    assert report.requeued == 1
    hits = inner.search(SearchQuery(text="renamed meanwhile")).hits
    assert [h.id for h in hits] == [cs.public_id]


CHILD = textwrap.dedent(
    """
    import asyncio, sys, time

    from exchange.casestudies import service
    from exchange.db import create_engine, session_factory, transaction
    from exchange.settings import Settings
    from exchange.viewer import role_viewer
    from schema.build import build_schema
    from exchange.composition import build_services
    from schema.context import Context


    class Hang:
        name = "hang"

        def upsert(self, docs):
            print("INDEXING", flush=True)
            time.sleep(120)

        delete = upsert


    async def main(url, data_dir, secret, authority_id, title):
        from pathlib import Path

        settings = Settings.from_env().model_copy(
            update={"database_url": url, "data_dir": Path(data_dir), "secret_key": secret}
        )
        engine = create_engine(url)
        services = build_services(settings, session_factory(engine))
        services.search = Hang()
        viewer = role_viewer("publisher", authority_id=int(authority_id))
        async with transaction(services.sessions) as session:
            values = {
                "title": title,
                "summary": "A case study written just before its process died.",
                "what_was_done": "Nothing unusual.",
                "phase": "IMPLEMENTATION",
                "themes": ["workforce"],
                "evidence_strength": 1,
            }
            draft = await service.create(session, viewer, values)
        gid = services.signer.global_id("CaseStudy", draft.public_id)
        print("COMMITTING", flush=True)
        result = await build_schema(settings).execute(
            "mutation($id: ID!) { publishCaseStudy(input: {id: $id}) { userErrors { code } } }",
            variable_values={"id": gid},
            context_value=Context(services, viewer),
        )
        print("NEVER REACHED", result, flush=True)


    asyncio.run(main(*sys.argv[1:]))
    """
)


class _FailsOnce:
    """Wraps a backend; the first index write fails, as an unreachable search server would."""

    def __init__(self, inner: TantivyBackend) -> None:
        self.inner, self.failures = inner, 0
        self.name = "fails-once"

    def upsert(self, docs: Sequence[CaseStudyDocument]) -> None:
        if self.failures == 0:
            self.failures += 1
            raise RuntimeError("search server unreachable")
        self.inner.upsert(docs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_the_app_drains_the_outbox_on_its_own(fresh_db: Any, tmp_path: Path) -> None:
    """A change whose index write failed is indexed later by the app's periodic drain, with no
    new edit; the drainer stops with the app."""
    import asyncio

    from exchange.app import create_app

    app = create_app(fresh_db.settings.model_copy(update={"outbox_drain_seconds": 0.05}))
    inner = TantivyBackend(tmp_path / "index")
    flaky = app.state.services.search = _FailsOnce(inner)
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    async with app.router.lifespan_context(app):
        cs = await _publish(fresh_db, owner, title="Indexed without another edit")
        pending = -1
        for _ in range(400):  # bounded: up to ~20 s on a busy machine
            async with fresh_db.sessions() as session:
                pending = await repository.pending_count(session)
            # The drain writes the index, then removes its outbox rows: wait for both.
            if pending == 0 and _ids(inner, "Indexed without another edit"):
                break
            await asyncio.sleep(0.05)
        assert flaky.failures == 1
        assert _ids(inner, "Indexed without another edit") == [cs.public_id]
        assert pending == 0
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "search-outbox-drainer"]


SEARCH = """query($q: String!) { caseStudies(query: $q) { totalCount edges { node { title } } } }"""


@pytest.mark.slow
async def test_a_process_killed_between_commit_and_indexing_is_caught_up(
    fresh_db: Any, tmp_path: Path
) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    assert owner.authority_id is not None
    title = "Zebrafinch outbox recovery"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    settings = fresh_db.settings
    child = subprocess.Popen(
        [
            sys.executable,
            str(script),
            fresh_db.url,
            str(settings.data_dir),
            settings.secret_key,
            str(owner.authority_id),
            title,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
            if line.strip() == "INDEXING":
                break
        assert lines[-1:] == ["INDEXING"], (lines, child.stderr.read() if child.stderr else "")
        os.kill(child.pid, signal.SIGKILL)  # after the commit, before the index write
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    # The database has the publication; the index does not, and the outbox remembers it.
    async with fresh_db.sessions() as session:
        pending = await repository.pending(session, 100)
        found = await repository.get_many_by_public_ids(session, [p for _, p in pending])
    assert [c.status for c in found.values()] == ["published"]
    missing = await run_graphql(fresh_db, SEARCH, {"q": "zebrafinch"})
    assert missing["data"]["caseStudies"]["totalCount"] == 0
    # On start-up (or `exchange search drain`) the outbox is applied and search catches up.
    services = services_for(fresh_db)
    await indexing.drain_quietly(services.sessions, services.search, services.settings.secret_key)
    caught_up = await run_graphql(fresh_db, SEARCH, {"q": "zebrafinch"})
    assert caught_up["data"]["caseStudies"]["totalCount"] == 1
    assert caught_up["data"]["caseStudies"]["edges"][0]["node"]["title"] == title
    async with fresh_db.sessions() as session:
        assert await repository.pending_count(session) == 0


def _cli(args: list[str], db: Any) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "EXCHANGE_DATABASE_URL": db.url,
        "EXCHANGE_DATA_DIR": str(db.settings.data_dir),
        "EXCHANGE_SECRET_KEY": db.settings.secret_key,
        "COLUMNS": "200",
    }
    env.pop("EXCHANGE_MEILI_URL", None)
    return subprocess.run(
        [EXCHANGE, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.slow
async def test_search_commands_drain_reindex_and_report(fresh_db: Any) -> None:
    owner = await publisher(fresh_db, WEST_BERKSHIRE)
    await _publish(fresh_db, owner)
    await _publish(fresh_db, owner, title="A second one")
    status = _cli(["search", "status"], fresh_db)
    assert status.returncode == 0, status.stderr
    assert "published: 2" in status.stdout and "outbox pending: 4" in status.stdout
    drained = _cli(["search", "drain"], fresh_db)
    assert drained.returncode == 0, drained.stderr
    assert "4 rows applied (2 indexed" in drained.stdout
    rebuilt = _cli(["search", "reindex"], fresh_db)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "2 published case studies indexed" in rebuilt.stdout
    after = _cli(["search", "status"], fresh_db)
    assert "indexed: 2" in after.stdout and "outbox pending: 0" in after.stdout


@pytest.mark.slow
async def test_demo_seed_is_large_varied_marked_and_idempotent(
    backend: str, tmp_path: Path
) -> None:
    from seed.demo_case_studies import seed_demo_case_studies
    from seed.demo_metrics import seed_demo_metrics

    db, cleanup = await make_database(backend, tmp_path, load="all")
    try:
        async with transaction(db.sessions) as session:
            await seed_demo_metrics(session)
        async with transaction(db.sessions) as session:
            first = await seed_demo_case_studies(session)
        async with transaction(db.sessions) as session:
            second = await seed_demo_case_studies(session)
        rows: list[CaseStudy] = []
        async with db.sessions() as session:
            async for batch in repository.published_batches(session):
                rows.extend(batch)
            links = await repository.links_for(session, [r.id for r in rows])
            with_data = {
                (m, p)
                for m, p in (
                    await session.execute(
                        select(Observation.metric_id, Observation.period_id)
                        .where(Observation.area_level == "local_authority")
                        .distinct()
                    )
                ).all()
            }
    finally:
        await db.engine.dispose()
        await cleanup()
    assert first.created >= 300 and not first.skipped
    assert second.skipped and second.created == 0
    # Every outcome link points at two periods for which authorities have figures.
    all_links = [link for ls in links.values() for link in ls]
    assert all_links
    assert all(
        (link.metric_id, link.baseline_period_id) in with_data
        and (link.metric_id, link.follow_up_period_id) in with_data
        for link in all_links
    )
    assert len(rows) == first.created  # nothing duplicated by the second run
    assert all(r.is_demo and r.title.startswith("DEMO: ") for r in rows)
    assert len({r.authority_id for r in rows}) >= 150
    assert {t for r in rows for t in r.themes} == vocab.THEME_CODES
    assert {r.phase for r in rows} == vocab.PHASE_CODES
    assert 0 < sum(r.pseudonymous for r in rows) < len(rows) // 4
    assert sum(bool(ls) for ls in links.values()) > len(rows) // 2
    assert len({r.published_at.year for r in rows if r.published_at}) >= 3
