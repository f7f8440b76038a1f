"""The figures that two or more pages, the export and the API show, from aggregate queries in one place.

households: cadence (due/overdue), a cadre's households (the home, the app's sync, the offline pack).
dashboard:  the dashboard's figures, which the home's headline figures are (relief.main.figures).
conditions: the conditions behind each figure, which the lists behind the figures filter by.
callbacks:  the call-back figures of the call-back pages and the export.
holidays:   Spring Festival and Mid-Autumn visit coverage.
villages:   weak villages' income against target (progress, colour band, projected income).
yearly:     the headline figures of a year (the export's 汇总 sheet, the yearly report).
"""
from .households import PairedHousehold, due_state, my_households
from .holidays import Coverage, holiday_coverage
from .villages import VillageProgress, village_progress
from .yearly import YearFigures, year_figures

__all__ = ["Coverage", "PairedHousehold", "VillageProgress", "YearFigures", "due_state", "holiday_coverage",
           "my_households", "village_progress", "year_figures"]
