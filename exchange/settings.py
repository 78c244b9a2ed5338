"""Settings, read once from ``EXCHANGE_*`` environment variables (pydantic-settings).

Every variable is documented in docs/configuration.md. An empty variable counts as unset. Lists
(``EXCHANGE_TRUSTED_PROXIES``, ``EXCHANGE_ALLOWED_PHONE_NUMBERS``) are comma-separated. A changed
copy: ``settings.model_copy(update={...})``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

CommaList = Annotated[tuple[str, ...], NoDecode]
ENV_PREFIX = "EXCHANGE_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True, extra="ignore"
    )

    data_dir: Path = PROJECT_ROOT / "var"
    database_url: str = Field(
        default_factory=lambda data: f"sqlite+aiosqlite:///{data['data_dir'] / 'exchange.db'}"
    )
    # Unset: a per-installation secret kept under the data folder (see _dev_secret).
    secret_key: str = Field(default_factory=lambda data: _dev_secret(data["data_dir"]), repr=False)
    meili_url: str | None = None
    meili_key: str | None = Field(default=None, repr=False)
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
    trusted_proxies: CommaList = ()
    # Public phone numbers a case study may quote, beside the shipped list (screening.py).
    allowed_phone_numbers: CommaList = ()
    # Real pseudonymous figures are shown to others at release times, multiples of this since the
    # epoch (daily: 00:00 UTC); 0 shows them at once (tests and try-outs only: docs/publishing.md).
    pseudonym_release_seconds: int = 86_400
    # How often the app applies the search outbox on its own; 0: only after each change.
    outbox_drain_seconds: float = 30.0
    secure_cookies: bool = False  # officer-page cookies sent over HTTPS only
    debug: bool = False
    fast_execution: bool = True  # schema/fast_resolvers.py's shortcut; off: strawberry's own path

    @field_validator("data_dir")
    @classmethod
    def _resolved(cls, value: Path) -> Path:
        return value.resolve()

    @field_validator("database_url")
    @classmethod
    def _normalised(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("trusted_proxies", "allowed_phone_numbers", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def search_index_dir(self) -> Path:
        return self.data_dir / "search-index"

    @classmethod
    def from_env(cls) -> Settings:
        """The settings from the environment; a bad value names its variable, not the field."""
        try:
            return cls()
        except ValidationError as exc:
            problems = [
                f"{ENV_PREFIX}{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                + (f" (got {e['input']!r})" if isinstance(e.get("input"), str | int) else "")
                for e in exc.errors()
            ]
            raise ValueError("bad configuration: " + "; ".join(problems)) from None


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
