"""Write the SDL to schema/schema.graphql: ``python -m schema.export`` (a test fails on drift)."""

from __future__ import annotations

from pathlib import Path

from exchange.settings import Settings

SDL_PATH = Path(__file__).resolve().parent / "schema.graphql"


def current_sdl() -> str:
    from schema.build import build_schema

    return build_schema(Settings.from_env()).as_str() + "\n"


if __name__ == "__main__":
    SDL_PATH.write_text(current_sdl(), encoding="utf-8")
    print(f"wrote {SDL_PATH}")
