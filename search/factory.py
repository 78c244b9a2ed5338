"""Choose a search backend from configuration: Meilisearch when a URL is given, else tantivy.

The adapters are imported lazily so that a deployment without one engine's client installed
(or a process that never searches) does not pay for importing it.
"""

import pathlib

from search.port import SearchBackend


def open_backend(
    meili_url: str | None,
    meili_key: str | None,
    index_dir: pathlib.Path,
    index_name: str = "case_studies",
) -> SearchBackend:
    """Meilisearch at `meili_url` (index `index_name`), else a tantivy index in `index_dir`."""
    if meili_url:
        from search.meili_adapter import MeiliBackend

        return MeiliBackend(meili_url, meili_key, index_name)
    from search.tantivy_adapter import TantivyBackend

    return TantivyBackend(index_dir)
