"""Where the shipped reference and real DfE data live (copied from DfE releases, untouched)."""

from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent
DATA_DIR = SEED_DIR / "data"
LA_LOOKUP = DATA_DIR / "reference" / "la_lookup.csv"
NEIGHBOURS = DATA_DIR / "reference" / "statistical_neighbours_2025.csv"
METRICS = SEED_DIR / "metrics.toml"
MAPPING = SEED_DIR / "mapping.toml"
EES_FILES = [
    DATA_DIR / "ees" / name
    for name in ("caseload.csv", "timeliness_20_week.csv", "requests.csv", "annual_reviews.csv")
]
DERIVED_FILES = [
    DATA_DIR / "derived" / "exclusion_rates_by_la_2016_2024.csv",
    DATA_DIR / "derived" / "dsg_allocations_by_la_2020_2024.csv",
    DATA_DIR / "derived" / "dsg_cumulative_balance_pct_by_la_2020_2022.csv",
]
SHIPPED_FILES = EES_FILES + DERIVED_FILES
OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)
