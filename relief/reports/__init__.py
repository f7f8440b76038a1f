"""The figures every page, export and API shows, from aggregate queries in one place.

households: cadence (due/overdue), a cadre's households and villages, open demands, home summary.
holidays:   Spring Festival and Mid-Autumn visit coverage.
villages:   weak villages' income against target (progress, colour band, projected income).
yearly:     the headline figures of a year (the export's 汇总 sheet, the yearly report).
"""
from .households import (
    PairedHousehold,
    Summary,
    due_state,
    my_households,
    my_villages,
    open_demand_count,
    open_demands,
    summary,
)
from .holidays import Coverage, holiday_coverage
from .villages import VillageProgress, village_progress
from .yearly import YearFigures, year_figures

__all__ = ["Coverage", "PairedHousehold", "Summary", "VillageProgress", "YearFigures",
           "due_state", "holiday_coverage", "my_households", "my_villages", "open_demand_count", "open_demands", "summary",
           "village_progress", "year_figures"]
