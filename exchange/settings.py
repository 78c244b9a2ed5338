"""Settings, read once from ``EXCHANGE_*`` environment variables.

Every variable is documented in docs/configuration.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _list(name: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in os.environ.get(name, "").split(",") if p.strip())


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    meili_url: str | None = None
    meili_key: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_body_bytes: int = 1_000_000
    max_batch: int = 10
    cost_budget_per_hour: int = 50_000
    max_query_cost: int = 1_000
    rate_limit_window: int = 3600
    redis_prefix: str = "dbvx"
    operation_timeout_ms: int = 5_000  # one GraphQL operation's time limit; 0: none
    # Proxies whose X-Forwarded-For is believed (IPs or CIDRs); empty: the header is ignored.
    trusted_proxies: tuple[str, ...] = ()
    # Real pseudonymous figures are shown to others at release times, multiples of this since the
    # epoch (daily: 00:00 UTC); 0 shows them at once (tests and try-outs only: docs/publishing.md).
    pseudonym_release_seconds: int = 86_400
    debug: bool = False
    fast_execution: bool = True  # schema/fast_resolvers.py's shortcut; off: strawberry's own path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def search_index_dir(self) -> Path:
        return self.data_dir / "search-index"

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("EXCHANGE_DATA_DIR", PROJECT_ROOT / "var")).resolve()
        default_db = f"sqlite+aiosqlite:///{data_dir / 'exchange.db'}"
        secret = os.environ.get("EXCHANGE_SECRET_KEY") or _dev_secret(data_dir)
        return cls(
            data_dir=data_dir,
            database_url=normalise_database_url(
                os.environ.get("EXCHANGE_DATABASE_URL", default_db)
            ),
            secret_key=secret,
            meili_url=os.environ.get("EXCHANGE_MEILI_URL") or None,
            meili_key=os.environ.get("EXCHANGE_MEILI_KEY") or None,
            redis_url=os.environ.get("EXCHANGE_REDIS_URL") or None,
            host=os.environ.get("EXCHANGE_HOST", "127.0.0.1"),
            port=_int("EXCHANGE_PORT", 8000),
            max_depth=_int("EXCHANGE_MAX_DEPTH", 12),
            max_aliases=_int("EXCHANGE_MAX_ALIASES", 30),
            max_tokens=_int("EXCHANGE_MAX_TOKENS", 5000),
            max_body_bytes=_int("EXCHANGE_MAX_BODY_BYTES", 1_000_000),
            max_batch=_int("EXCHANGE_MAX_BATCH", 10),
            cost_budget_per_hour=_int("EXCHANGE_COST_BUDGET_PER_HOUR", 50_000),
            max_query_cost=_int("EXCHANGE_MAX_QUERY_COST", 1_000),
            rate_limit_window=_int("EXCHANGE_RATE_LIMIT_WINDOW", 3600),
            redis_prefix=os.environ.get("EXCHANGE_REDIS_PREFIX") or "dbvx",
            operation_timeout_ms=_int("EXCHANGE_OPERATION_TIMEOUT_MS", 5_000),
            trusted_proxies=_list("EXCHANGE_TRUSTED_PROXIES"),
            pseudonym_release_seconds=_int("EXCHANGE_PSEUDONYM_RELEASE_SECONDS", 86_400),
            debug=os.environ.get("EXCHANGE_DEBUG", "") in {"1", "true", "yes"},
            fast_execution=os.environ.get("EXCHANGE_FAST_EXECUTION", "1") not in {"0", "false"},
        )


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and pick the async drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///"):
        url = "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


def _dev_secret(data_dir: Path) -> str:
    """A per-installation secret kept under the data folder, so pseudonyms stay stable across runs.

    Production sets EXCHANGE_SECRET_KEY (docs/deployment.md); several workers must share it.
    """
    import secrets

    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value
