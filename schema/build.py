"""The schema: the root types mirror the domain folders."""

from __future__ import annotations

import strawberry
from graphql import (
    ASTValidationRule,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types

from exchange.settings import Settings
from schema import audit as audit_api
from schema import authorities as authorities_api
from schema import breakdowns as breakdowns_api
from schema import comparison as comparison_api
from schema import fast_resolvers, relay
from schema import former_authorities as former_api
from schema import metrics as metrics_api
from schema import node as node_api
from schema import observations as observations_api
from schema import peer_groups as peer_groups_api
from schema import publishing as publishing_api
from schema import viewer as viewer_api
from schema.case_studies import improvers as improvers_api
from schema.case_studies import mutations as case_study_mutations
from schema.case_studies import search as case_study_search
from schema.case_studies import types as case_studies_api
from schema.case_studies import vocabulary as case_study_vocabulary
from schema.cost import QueryCost
from schema.errors import DomainErrors, QuietSchema


@strawberry.type
class CoreQuery:
    authority: authorities_api.Authority | None = strawberry.field(
        resolver=authorities_api.authority,
        description="An authority by DfE code (869) or any of its GSS codes (E06000037).",
    )
    authorities: relay.Connection[authorities_api.Authority] = strawberry.field(
        resolver=authorities_api.authorities,
        description="All 153 authorities, by name; filter by region or type.",
    )
    metrics: list[metrics_api.Metric] = strawberry.field(
        resolver=metrics_api.metrics, description="The metric catalogue."
    )
    metric: metrics_api.Metric | None = strawberry.field(resolver=metrics_api.metric)
    observations: relay.Connection[observations_api.Observation] = strawberry.field(
        resolver=observations_api.observations
    )
    comparison: comparison_api.Comparison = strawberry.field(
        resolver=comparison_api.comparison,
        description="An authority against its peers for one metric and period (docs/metrics.md).",
    )
    trend: comparison_api.Trend = strawberry.field(
        resolver=comparison_api.trend,
        description="An authority's series beside its peer median, England and region.",
    )
    breakdown_figures: relay.Connection[breakdowns_api.BreakdownFigure] = strawberry.field(
        resolver=breakdowns_api.breakdown_figures,
        description="DfE's figures for one breakdown topic of a metric (Metric.breakdowns lists "
        "them), kept apart from the totals the other queries give.",
    )
    former_authorities: list[former_api.FormerAuthority] = strawberry.field(
        resolver=former_api.former_authorities,
        description="Authorities abolished before the current 153, with the figures DfE reports "
        "for them: what reconciles the authorities' figures with England's for earlier years.",
    )
    node: node_api.Node | None = strawberry.field(resolver=node_api.resolve_node)


# Each domain module contributes its own root fields; the API mirrors the domain folders.
QUERY_TYPES: tuple[type, ...] = (
    CoreQuery,
    viewer_api.ViewerQuery,
    publishing_api.PublishingQuery,
    peer_groups_api.PeerGroupQuery,
    audit_api.AuditQuery,
    case_study_search.CaseStudySearchQuery,
    case_studies_api.CaseStudyQuery,
    improvers_api.ImproversQuery,
    case_study_vocabulary.CaseStudyVocabularyQuery,
)
MUTATION_TYPES: tuple[type, ...] = (
    publishing_api.PublishingMutation,
    peer_groups_api.PeerGroupMutation,
    case_study_mutations.CaseStudyMutation,
)
EXTRA_TYPES: list[type] = [
    authorities_api.Authority,
    observations_api.Observation,
    peer_groups_api.PeerGroup,
    case_studies_api.CaseStudy,
]


# The settings build_schema reads: one schema serves every Settings that agree on these (the
# tests cache schemas by schema_key; tests/api/test_fast_execution.py checks the list).
SCHEMA_SETTINGS = ("max_depth", "max_aliases", "max_tokens", "max_query_cost", "fast_execution")


def schema_key(settings: Settings) -> tuple[object, ...]:
    return tuple(getattr(settings, name) for name in SCHEMA_SETTINGS)


def _where_fragments_are_known(rule: type[ASTValidationRule]) -> type[ValidationRule]:
    """``rule``, run only on a document whose spread fragments are all defined. strawberry's
    depth rule looks each spread up by name and fails with a bare KeyError (the answer was the
    message "'Nope'" for ``...Nope``); graphql-core's KnownFragmentNamesRule already reports an
    unknown fragment by name, so the depth is measured once the document can have one."""

    class WhereFragmentsAreKnown(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            defined = {
                d.name.value for d in document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            spread: set[str] = set()
            stack: list[object] = list(document.definitions)
            while stack:
                node = stack.pop()
                if isinstance(node, FragmentSpreadNode):
                    spread.add(node.name.value)
                selections = getattr(getattr(node, "selection_set", None), "selections", None)
                stack.extend(selections or ())
            if spread <= defined:
                rule(context)

    return WhereFragmentsAreKnown


def build_schema(settings: Settings) -> strawberry.Schema:
    query = merge_types("Query", QUERY_TYPES)
    mutation = merge_types("Mutation", MUTATION_TYPES) if MUTATION_TYPES else None
    limit_rules = [
        *map(
            _where_fragments_are_known,
            QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
        ),
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    schema = QuietSchema(
        query=query,
        mutation=mutation,
        types=EXTRA_TYPES,
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            # One set of rule classes for the schema's life: the limiters build a new rule class
            # per instance, and ValidationCache keys on the rules, so per-request instances
            # would make every request miss the cache (~10 ms of validation each time).
            lambda: AddValidationRules(limit_rules),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: QueryCost(max_points=settings.max_query_cost),
            DomainErrors,
        ],
    )
    if settings.fast_execution:  # EXCHANGE_FAST_EXECUTION=0: strawberry's own path everywhere
        fast_resolvers.install(schema)
    return schema
