from schema.export import SDL_PATH, current_sdl


def test_committed_sdl_matches_the_schema() -> None:
    assert SDL_PATH.read_text(encoding="utf-8") == current_sdl(), (
        "schema/schema.graphql is out of date: run `.venv/bin/python -m schema.export` and commit it"
    )
