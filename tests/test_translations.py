"""The English catalogue covers every message in the code and templates, and is compiled."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "relief" / "translations" / "en" / "LC_MESSAGES"
#: what `make translations` extracts: Babel's keywords and the Makefile's -k options
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}


@lru_cache(maxsize=1)
def extracted() -> tuple[tuple[str, int, str], ...]:
    """(file, line, message id) of every message in the code and templates; babel.cfg says how to
    read them, and makes a template that cannot be read an error."""
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return tuple((filename, lineno, message[0] if isinstance(message, tuple) else message)
                 for filename, lineno, message, _comments, _context
                 in extract_from_dir(ROOT, method_map, options_map, keywords=KEYWORDS))


def catalog(name: str):
    with open(CATALOG / name, "rb") as fh:
        return read_po(fh) if name.endswith(".po") else read_mo(fh)


def test_every_template_is_read_by_the_extractor():
    seen = {filename for filename, _line, _msgid in extracted()}
    templates = {str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html") if "_(" in p.read_text()}
    assert templates - seen == set()


def test_every_message_has_an_english_translation():
    po = catalog("messages.po")

    def translated(msgid: str) -> bool:
        message = po.get(msgid)
        return bool(message and (all(message.string) if isinstance(message.string, tuple) else message.string))

    missing = {msgid: f"{filename}:{line}" for filename, line, msgid in extracted() if not translated(msgid)}
    assert missing == {}, "run `make translations` and translate these"


def test_the_compiled_catalogue_matches_the_source():
    po, mo = catalog("messages.po"), catalog("messages.mo")
    stale = [m.id for m in po if m.id and m.string and (mo.get(m.id) is None or mo.get(m.id).string != m.string)]
    assert stale == [], "run `pybabel compile -d relief/translations`"
