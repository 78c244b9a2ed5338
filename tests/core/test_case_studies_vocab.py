"""One vocabulary: the domain's enums are the codes, their tables define every one, and the API
shows the same enums (by name) rather than copies."""

from __future__ import annotations

from enum import Enum

import pytest

from exchange.authorities.vocab import AuthorityType, PeerGroup
from exchange.casestudies import finder, vocab
from exchange.observations.models import Visibility
from schema.export import current_sdl


@pytest.mark.parametrize(
    ("table", "enum"),
    [
        (vocab.THEMES, vocab.Theme),
        (vocab.PHASES, vocab.Phase),
        (vocab.COST_BANDS, vocab.CostBand),
        (vocab.EVIDENCE_LEVELS, vocab.EvidenceLevel),
    ],
    ids=["themes", "phases", "cost_bands", "evidence_levels"],
)
def test_each_table_defines_every_code_of_its_enum_in_order(
    table: tuple[vocab.Term, ...], enum: type[Enum]
) -> None:
    assert [t.code for t in table] == [str(m.value) for m in enum]
    assert all(type(t.code) is str for t in table)  # plain text, not enum members


def test_the_code_sets_follow_the_enums() -> None:
    assert len(vocab.THEME_CODES) == 12 and "annual_reviews" in vocab.THEME_CODES
    assert vocab.STATUSES == ("draft", "published", "withdrawn")
    assert (vocab.MIN_EVIDENCE, vocab.MAX_EVIDENCE) == (0, 5)


@pytest.mark.parametrize(
    ("api_name", "enum"),
    [
        ("Theme", vocab.Theme),
        ("DbvPhase", vocab.Phase),
        ("CostBand", vocab.CostBand),
        ("CaseStudyStatus", vocab.Status),
        ("CaseStudySort", finder.Sort),
        ("PeerGroup", PeerGroup),
        ("AuthorityType", AuthorityType),
        ("Visibility", Visibility),
    ],
)
def test_the_api_enum_is_the_domain_enum(api_name: str, enum: type[Enum]) -> None:
    sdl = current_sdl()
    block = sdl[sdl.index(f"enum {api_name} {{") :]
    names = block[block.index("{") + 1 : block.index("}")].split()
    assert names == [m.name for m in enum]


def test_filters_become_the_ports_facet_filters() -> None:
    f = finder.Filters(
        themes=["workforce"], evidence_strength=[3, 4], regions=[], authorities=["869"]
    )
    assert f.by_field() == {"theme": ["workforce"], "region": [], "evidence_strength": ["3", "4"]}


def test_a_page_counts_stale_hits_for_paging_but_not_for_the_total() -> None:
    page = finder.SearchPage(offset=20, hit_count=10, total=31, dropped=2, items=[], facets=[])
    assert page.has_next_page and page.total_count == 29
    last = finder.SearchPage(offset=20, hit_count=11, total=31, dropped=2, items=[], facets=[])
    assert not last.has_next_page
