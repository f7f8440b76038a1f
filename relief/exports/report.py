"""The yearly report's headline, in the seeds' own style, generated from the year's figures.

"全年共实施帮扶项目423个，帮助3.5万人脱贫；34个经济薄弱村集体经济收入均达到15万元。"
均达到 is said only when every weak village reached its target.
"""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _

from relief.rates import percent_text
from relief.reports.yearly import YearFigures


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


def headline(fig: YearFigures, targets: set[int]) -> str:
    """One or two sentences: projects and people lifted; weak villages against their target."""
    first = _("全年共实施帮扶项目%(projects)s个，帮助%(people)s人脱贫",
              projects=count(fig.projects), people=count(fig.people_lifted))
    if not fig.weak_villages:
        return first + "。"
    target = money(next(iter(targets))) if len(targets) == 1 else None
    missed = fig.weak_villages - fig.villages_at_target
    if missed == 0:
        villages = (_("%(n)s个经济薄弱村集体经济收入均达到%(target)s", n=count(fig.weak_villages), target=target)
                    if target else
                    _("%(n)s个经济薄弱村集体经济收入均达到年度目标", n=count(fig.weak_villages)))
    elif target:
        villages = _("%(n)s个经济薄弱村中，集体经济收入%(reached)s个达到%(target)s，%(missed)s个未达到",
                     n=count(fig.weak_villages), reached=count(fig.villages_at_target), target=target,
                     missed=count(missed))
    else:
        villages = _("%(n)s个经济薄弱村中，集体经济收入%(reached)s个达到年度目标，%(missed)s个未达到",
                     n=count(fig.weak_villages), reached=count(fig.villages_at_target), missed=count(missed))
    return first + _("；") + villages + _("。")


def work_sentence(fig: YearFigures) -> str:
    """The second sentence: cadres, households, visits, holiday coverage, demands."""
    return _("%(cadres)s名帮扶干部结对帮扶%(households)s户，走访%(visits)s次，春节慰问覆盖%(spring)s、"
             "中秋慰问覆盖%(autumn)s；收集诉求%(demands)s件，办结%(resolved)s件。",
             cadres=count(fig.cadres), households=count(fig.paired_households), visits=count(fig.visits),
             spring=percent(fig.spring_festival_coverage), autumn=percent(fig.mid_autumn_coverage),
             demands=count(fig.demands), resolved=count(fig.demands_resolved))
