"""The printable yearly report (/exports/report): its headline in the seeds' own style, generated
from the year's figures, and the rows each figure links to.

"全年共实施帮扶项目423个，帮助3.5万人脱贫；34个经济薄弱村集体经济收入均达到15万元。"
均达到 is said only when every weak village reached its target.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from relief.rates import percent_text
from relief.reports import village_progress, year_figures
from relief.reports.yearly import YearFigures, township_figures


def _chinese() -> bool:
    locale = get_locale()
    return locale is None or locale.language == "zh"


def count(n: int) -> str:
    """3.5万 in Chinese from ten thousand up, 35,000 in English."""
    if not _chinese():
        return f"{n:,}"
    if n >= 10_000:
        return f"{n / 10_000:.1f}".rstrip("0").rstrip(".") + "万"
    return str(n)


def money(yuan: int) -> str:
    if not _chinese():
        return _("%(n)s元", n=f"{yuan:,}")
    if yuan >= 10_000:
        return f"{yuan / 10_000:.2f}".rstrip("0").rstrip(".") + "万元"
    return f"{yuan}元"


def percent(rate: float) -> str:
    """A rate as every page shows it (relief.rates: whole percent, rounded down)."""
    return percent_text(rate)


#: link(figure key, text) -> the text as a link to the figure's rows (the report page), or the text
Linker = Callable[[str, str], str]


def _as_text(_key: str, text: str) -> str:
    return text


def _sentence(text: str, link: Linker | None) -> str:
    """A sentence whose figures `link` made links is markup: its own words come from the catalog
    and its figures are digits and the links' own escaped markup."""
    return Markup(text) if link else text


def headline(fig: YearFigures, targets: set[int], link: Linker | None = None) -> str:
    """One or two sentences: projects and people lifted; weak villages against their target."""
    f = link or _as_text
    first = _("全年共实施帮扶项目%(projects)s个，帮助%(people)s人脱贫",
              projects=f("projects", count(fig.projects)), people=f("people_lifted", count(fig.people_lifted)))
    if not fig.weak_villages:
        return _sentence(first + "。", link)
    target = money(next(iter(targets))) if len(targets) == 1 else None
    missed = fig.weak_villages - fig.villages_at_target
    n, reached = f("weak_villages", count(fig.weak_villages)), f("villages_at_target", count(fig.villages_at_target))
    if missed == 0:
        villages = (_("%(n)s个经济薄弱村集体经济收入均达到%(target)s", n=n, target=target)
                    if target else
                    _("%(n)s个经济薄弱村集体经济收入均达到年度目标", n=n))
    elif target:
        villages = _("%(n)s个经济薄弱村中，集体经济收入%(reached)s个达到%(target)s，%(missed)s个未达到",
                     n=n, reached=reached, target=target, missed=f("villages_missed", count(missed)))
    else:
        villages = _("%(n)s个经济薄弱村中，集体经济收入%(reached)s个达到年度目标，%(missed)s个未达到",
                     n=n, reached=reached, missed=f("villages_missed", count(missed)))
    return _sentence(first + _("；") + villages + _("。"), link)


def work_sentence(fig: YearFigures, link: Linker | None = None) -> str:
    """The second sentence: cadres, households, visits, holiday coverage, demands."""
    f = link or _as_text
    return _sentence(_(
        "%(cadres)s名帮扶干部结对帮扶%(households)s户，走访%(visits)s次，春节慰问覆盖%(spring)s、"
        "中秋慰问覆盖%(autumn)s；收集诉求%(demands)s件，办结%(resolved)s件。",
        cadres=f("cadres", count(fig.cadres)), households=f("paired_households", count(fig.paired_households)),
        visits=f("visits", count(fig.visits)), spring=f("spring_festival", percent(fig.spring_festival_coverage)),
        autumn=f("mid_autumn", percent(fig.mid_autumn_coverage)), demands=f("demands", count(fig.demands)),
        resolved=f("demands_resolved", count(fig.demands_resolved))), link)


@dataclass
class FigureLink:
    """Where a figure of the report leads: the list of the rows it counts (or, for a number of
    people, the households or projects whose people it sums)."""

    href: str
    rows: int
    of: int | None = None  # for a rate: the count it is a share of
    people: int | None = None  # for a sum of people: the sum

    def markup(self, text: str) -> Markup:
        extra = Markup(' data-of="{}"').format(self.of) if self.of is not None else Markup("")
        if self.people is not None:
            extra += Markup(' data-people="{}"').format(self.people)
        return Markup('<a class="figure" href="{}" data-rows="{}"{}>{}</a>').format(self.href, self.rows, extra, text)


def figure_links(fig: YearFigures, year: int, township_id: int | None) -> dict[str, FigureLink]:
    """Each figure of a row of the report (a township's, or the whole scope's with None) and its list."""
    t = {"township": township_id} if township_id else {}
    period = str(year)
    return {
        "weak_villages": FigureLink(url_for("villages.index", weak=1, **t), fig.weak_villages),
        "villages_at_target": FigureLink(url_for("villages.index", weak=1, band="green", year=year, **t),
                                         fig.villages_at_target),
        "villages_missed": FigureLink(url_for("villages.index", weak=1, band="short", year=year, **t),
                                      fig.weak_villages - fig.villages_at_target),
        "paired_households": FigureLink(url_for("households.index", paired_in=period, **t), fig.paired_households),
        "cadres": FigureLink(url_for("cadres.index", paired_in=period, **t), fig.cadres),
        "visits": FigureLink(url_for("visits.index", period=period, **t), fig.visits),
        "spring_festival": FigureLink(url_for("households.index", holiday="spring_festival", year=year, covered=1, **t),
                                      fig.spring_festival_covered, of=fig.spring_festival_paired),
        "mid_autumn": FigureLink(url_for("households.index", holiday="mid_autumn", year=year, covered=1, **t),
                                 fig.mid_autumn_covered, of=fig.mid_autumn_paired),
        "demands": FigureLink(url_for("demands.index", status="all", period=period, **t), fig.demands),
        "demands_resolved": FigureLink(url_for("demands.index", status="resolved", period=period, **t),
                                       fig.demands_resolved),
        "projects": FigureLink(url_for("projects.index", implemented=period, **t), fig.projects),
        "project_beneficiaries": FigureLink(url_for("projects.index", implemented=period, **t), fig.projects,
                                            people=fig.project_beneficiaries),
        "people_lifted": FigureLink(url_for("households.index", lifted=year, **t), fig.households_lifted,
                                    people=fig.people_lifted),
    }


def linker(links: dict[str, FigureLink]) -> Linker:
    return lambda key, text: links[key].markup(text) if key in links else text


@dataclass
class ReportPage:
    figures: YearFigures
    links: dict[str, FigureLink]
    headline: str
    work: str
    #: the townships' rows: (id, name, figures, links)
    rows: list[tuple[int, str, YearFigures, dict[str, FigureLink]]]


def report_page(user, year: int, township_id: int | None) -> ReportPage:
    """The year's figures for the user's scope (or one township), in words and per township."""
    figures = year_figures(user, year, township_id=township_id)
    targets = {p.target_yuan for p in village_progress(user, year, township_id=township_id)}
    rows = [(t, name, f, figure_links(f, year, t)) for t, name, f in township_figures(user, year)
            if township_id is None or t == township_id]
    links = figure_links(figures, year, township_id)
    return ReportPage(figures, links, headline(figures, targets, linker(links)), work_sentence(figures, linker(links)),
                      rows)
