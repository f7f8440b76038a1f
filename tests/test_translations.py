"""The English catalogue covers every message in the code and templates, and is compiled."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "relief" / "translations" / "en" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None}


def extracted() -> dict[str, str]:
    """Every message id in the source, with where it is; a template that cannot be read fails here."""
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_every_template_is_read_by_the_extractor():
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    seen = {filename for filename, *_ in extract_from_dir(ROOT, method_map, options_map, keywords=KEYWORDS)}
    templates = {str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html") if "_(" in p.read_text()}
    assert templates - seen == set()


def test_every_message_has_an_english_translation():
    with open(CATALOG / "messages.po", "rb") as fh:
        po = read_po(fh)
    missing = {msgid: where for msgid, where in extracted().items()
               if not (po.get(msgid) and (po.get(msgid).string if isinstance(po.get(msgid).string, str)
                                          else all(po.get(msgid).string)))}
    assert missing == {}, "run `make translations` and translate these"


def test_the_compiled_catalogue_matches_the_source():
    with open(CATALOG / "messages.po", "rb") as fh:
        po = read_po(fh)
    with open(CATALOG / "messages.mo", "rb") as fh:
        mo = read_mo(fh)
    stale = [m.id for m in po if m.id and m.string and (mo.get(m.id) is None or mo.get(m.id).string != m.string)]
    assert stale == [], "run `pybabel compile -d relief/translations`"
