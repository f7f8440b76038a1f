"""The national rosters' words for relief's enumerations, in one table beside the enums.

Offices bring rosters exported from the national 防返贫监测 system and from their own
spreadsheets: 状态 says 贫困户, 脱贫户, 未脱贫, 已脱贫户 or 监测对象; 致贫原因 says 因病致贫;
职级 says 副科级. Each word here names exactly one member; a word that could mean two is left
out, so it is refused with the list of what may be written rather than guessed.
Keys are compared folded (full-width to ASCII, no spaces, Chinese brackets as ASCII).
"""
from __future__ import annotations

import re
import unicodedata

from .pairing import PairingKind, StationRole
from .people import HouseholdStatus, MonitorCategory, PovertyCause, Rank

SYNONYMS: dict[type, dict[str, object]] = {
    HouseholdStatus: {
        "贫困户": HouseholdStatus.POOR, "建档立卡贫困户": HouseholdStatus.POOR, "未脱贫": HouseholdStatus.POOR,
        "未脱贫户": HouseholdStatus.POOR, "一般贫困户": HouseholdStatus.POOR, "低保贫困户": HouseholdStatus.POOR,
        "特困供养贫困户": HouseholdStatus.POOR, "五保贫困户": HouseholdStatus.POOR,
        "脱贫": HouseholdStatus.LIFTED, "脱贫户": HouseholdStatus.LIFTED, "已脱贫户": HouseholdStatus.LIFTED,
        "稳定脱贫": HouseholdStatus.LIFTED, "稳定脱贫户": HouseholdStatus.LIFTED,
        "脱贫享受政策": HouseholdStatus.LIFTED, "脱贫不享受政策": HouseholdStatus.LIFTED,
        "监测对象": HouseholdStatus.MONITORED, "监测户": HouseholdStatus.MONITORED,
        "防返贫监测户": HouseholdStatus.MONITORED, "防返贫监测对象": HouseholdStatus.MONITORED,
        "防止返贫监测对象": HouseholdStatus.MONITORED, "纳入监测": HouseholdStatus.MONITORED,
    },
    MonitorCategory: {
        "脱贫不稳定": MonitorCategory.UNSTABLE, "脱贫不稳定户": MonitorCategory.UNSTABLE,
        "脱贫监测户": MonitorCategory.UNSTABLE, "脱贫不稳定人口": MonitorCategory.UNSTABLE,
        "边缘易致贫": MonitorCategory.MARGINAL, "边缘易致贫户": MonitorCategory.MARGINAL,
        "边缘户": MonitorCategory.MARGINAL, "边缘易致贫人口": MonitorCategory.MARGINAL,
        "突发严重困难": MonitorCategory.SUDDEN, "突发严重困难户": MonitorCategory.SUDDEN,
        "突发困难户": MonitorCategory.SUDDEN,
    },
    PovertyCause: {
        "因病致贫": PovertyCause.ILLNESS, "因病返贫": PovertyCause.ILLNESS,
        "因残致贫": PovertyCause.DISABILITY, "因残返贫": PovertyCause.DISABILITY,
        "因学致贫": PovertyCause.SCHOOLING, "因学返贫": PovertyCause.SCHOOLING,
        "因灾致贫": PovertyCause.DISASTER, "因灾返贫": PovertyCause.DISASTER,
        "缺乏技术": PovertyCause.NO_SKILLS, "缺少技术": PovertyCause.NO_SKILLS,
        "缺劳动力": PovertyCause.NO_LABOUR, "缺少劳动力": PovertyCause.NO_LABOUR, "缺乏劳动力": PovertyCause.NO_LABOUR,
        "缺乏资金": PovertyCause.NO_FUNDS, "缺少资金": PovertyCause.NO_FUNDS,
        "缺少土地": PovertyCause.NO_LAND, "缺乏土地": PovertyCause.NO_LAND,
        "发展动力不足": PovertyCause.NO_DRIVE, "自身发展能力不足": PovertyCause.NO_DRIVE,
        "缺乏发展动力": PovertyCause.NO_DRIVE,
        # the national list's causes that relief keeps under 其他
        "其它": PovertyCause.OTHER, "缺水": PovertyCause.OTHER, "交通条件落后": PovertyCause.OTHER,
        "交通落后": PovertyCause.OTHER, "因婚": PovertyCause.OTHER,
    },
    PairingKind: {
        "一对一结对": PairingKind.HOUSEHOLD, "一对一帮扶": PairingKind.HOUSEHOLD, "结对帮扶": PairingKind.HOUSEHOLD,
        "一对一结对帮扶": PairingKind.HOUSEHOLD, "结对户": PairingKind.HOUSEHOLD, "户": PairingKind.HOUSEHOLD,
        "挂钩帮扶": PairingKind.LINK, "挂钩联系": PairingKind.LINK, "领导挂钩": PairingKind.LINK,
        "区级领导挂钩": PairingKind.LINK,
        "驻村干部": PairingKind.STATIONED, "驻村帮扶": PairingKind.STATIONED, "驻点": PairingKind.STATIONED,
        "第一书记": PairingKind.STATIONED, "驻村第一书记": PairingKind.STATIONED,
        "工作队": PairingKind.TEAM, "驻村工作组": PairingKind.TEAM, "工作队员": PairingKind.TEAM,
        "驻村队员": PairingKind.TEAM,
    },
    StationRole: {
        "驻村第一书记": StationRole.FIRST_SECRETARY,
        "队长": StationRole.TEAM_LEADER, "驻村工作队长": StationRole.TEAM_LEADER,
        "工作队队长": StationRole.TEAM_LEADER,
        "工作队员": StationRole.MEMBER, "驻村队员": StationRole.MEMBER, "成员": StationRole.MEMBER,
    },
    Rank: {
        "区级": Rank.DISTRICT_LEADER, "区领导": Rank.DISTRICT_LEADER, "区级干部": Rank.DISTRICT_LEADER,
        "县级领导": Rank.DISTRICT_LEADER, "县处级": Rank.DISTRICT_LEADER, "处级": Rank.DISTRICT_LEADER,
        "正处级": Rank.DISTRICT_LEADER, "副处级": Rank.DISTRICT_LEADER, "正处": Rank.DISTRICT_LEADER,
        "副处": Rank.DISTRICT_LEADER,
        "正科级": Rank.SECTION, "副科级": Rank.SECTION, "正科": Rank.SECTION, "副科": Rank.SECTION,
        "科级干部": Rank.SECTION, "乡科级": Rank.SECTION, "一级主任科员": Rank.SECTION,
        "二级主任科员": Rank.SECTION, "三级主任科员": Rank.SECTION, "四级主任科员": Rank.SECTION,
        "科员": Rank.GENERAL, "办事员": Rank.GENERAL, "一般": Rank.GENERAL, "普通干部": Rank.GENERAL,
        "一级科员": Rank.GENERAL, "二级科员": Rank.GENERAL,
    },
}

#: 是/否 columns
YES_NO = {
    **dict.fromkeys(("是", "是的", "Y", "YES", "TRUE", "1", "√", "✓", "✔", "有", "对"), True),
    **dict.fromkeys(("否", "不是", "非", "N", "NO", "FALSE", "0", "×", "✗", "✘", "无"), False),
}


def fold(text: str) -> str:
    """Full-width to ASCII (NFKC: （） become ()), no spaces, upper case."""
    return re.sub(r"[\s\u3000]", "", unicodedata.normalize("NFKC", text or "")).upper()


_TABLES: dict[type, dict[str, object]] = {}


def lookup(enum_cls, text: str):
    """The member named by its label, its value or a national synonym; None when nothing matches."""
    table = _TABLES.get(enum_cls)
    if table is None:
        table = {fold(k): m for k, m in SYNONYMS.get(enum_cls, {}).items()}
        for m in enum_cls:
            table[fold(m.value)] = table[fold(m.zh)] = m
        _TABLES[enum_cls] = table
    return table.get(fold(text))
