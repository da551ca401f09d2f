"""The English catalog is complete and compiled: every string the code and the templates
mark for translation has an English text, and the .mo the app loads says the same as the .po."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "hazard_ledger/web/translations/en/LC_MESSAGES"
METHODS = [("hazard_ledger/**.py", "python"), ("hazard_ledger/web/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}


def marked_strings():
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, METHODS, keywords=KEYWORDS, options_map={"**.html": {"extensions": "jinja2.ext.i18n"}}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, filename)
    return found


def test_every_marked_string_has_an_english_text():
    with open(CATALOG / "messages.po", "rb") as f:
        catalog = read_po(f, locale="en")
    missing = {msgid: where for msgid, where in marked_strings().items()
               if msgid not in catalog or not catalog[msgid].string}
    assert not missing, f"add to messages.po and run pybabel compile: {missing}"


def test_the_compiled_catalog_matches_the_source():
    with open(CATALOG / "messages.po", "rb") as f:
        source = {m.id: m.string for m in read_po(f, locale="en") if m.id and m.string}
    with open(CATALOG / "messages.mo", "rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    assert compiled == source, "run: pybabel compile -d hazard_ledger/web/translations"
