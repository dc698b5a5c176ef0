"""The German translation is complete, well-formed and compiles.

Every message of the template (``slc.clicktracker.pot``, kept in line with
the code by ``test_pot.py``) has a German text that uses the same
``${placeholders}``; the texts the add-on shows through Plone's own "plone"
domain are in ``de/LC_MESSAGES/plone.po``. zope.i18n compiles the .po files
at start-up (``zope_i18n_compile_mo_files``) with python-gettext's
``Msgfmt``, so the same compiler checks them here.
"""

from demo.start import demo_language
from pathlib import Path
from pythongettext.msgfmt import Msgfmt
from xml.etree import ElementTree
import gettext
import importlib.util
import io
import pytest
import re


ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("pot", ROOT / "scripts" / "pot.py")
pot = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(pot)
LOCALES = ROOT / "src" / "slc" / "clicktracker" / "locales"
POT = LOCALES / "slc.clicktracker.pot"
LANGUAGES = ("de",)
I18N = "{http://xml.zope.org/namespaces/i18n}"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def problems(template, translation):
    """What is wrong with ``translation`` (parsed) against ``template``."""
    found = []
    for msgid, (default, _, _) in template.items():
        if msgid not in translation:
            found.append(f"missing: {msgid}")
            continue
        _, msgstr, flags = translation[msgid]
        if not msgstr.strip():
            found.append(f"untranslated: {msgid}")
        elif "fuzzy" in flags:
            found.append(f"fuzzy: {msgid}")
        elif placeholders(msgstr) != placeholders(default or msgid):
            found.append(f"placeholders differ: {msgid}: {msgstr}")
    found.extend(f"no longer used: {m}" for m in translation.keys() - template.keys())
    return found


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


def compiled(po):
    """The catalog zope.i18n would load from ``po``."""
    with po.open("rb") as source:
        mo = Msgfmt(source, po.stem).get()
    return gettext.GNUTranslations(io.BytesIO(mo))


def plone_domain_messages():
    """Texts of the add-on's GenericSetup XML that Plone translates in the
    "plone" domain (marked there with ``i18n:domain="plone"``)."""
    found = set()
    profiles = ROOT / "src" / "slc" / "clicktracker" / "profiles"
    for xml in profiles.rglob("*.xml"):
        root = ElementTree.parse(xml).getroot()  # noqa: S314 -- our own files
        walk(root, None, found)
    return found


def walk(element, domain, found):
    domain = element.get(f"{I18N}domain", domain)
    if domain == "plone":
        for name in filter(None, element.get(f"{I18N}attributes", "").split(";")):
            found.add(" ".join(element.get(name.strip()).split()))
        if element.get(f"{I18N}translate") is not None:
            found.add(" ".join((element.text or "").split()))
    for child in element:
        walk(child, domain, found)


def test_every_message_has_a_german_text():
    template = pot.entries(POT.read_text(encoding="utf-8"))
    assert len(template) > 300
    for language in LANGUAGES:
        po = LOCALES / language / "LC_MESSAGES" / "slc.clicktracker.po"
        assert problems(template, pot.entries(po.read_text(encoding="utf-8"))) == []


def test_a_gap_in_the_translation_is_reported():
    template = {
        "Views": (None, "", set()),
        "msg_chart_day": ("${day}: ${views} views", "", set()),
        "Gone": (None, "", set()),
    }
    translation = {
        "Views": (None, "", set()),
        "msg_chart_day": ("${day}: ${views} views", "${day}: ${view} Aufrufe", set()),
        "Old": (None, "Alt", set()),
    }
    assert problems(template, translation) == [
        "untranslated: Views",
        "placeholders differ: msg_chart_day: ${day}: ${view} Aufrufe",
        "missing: Gone",
        "no longer used: Old",
    ]
    assert problems(
        {"Views": (None, "", set())}, {"Views": (None, "Aufrufe", {"fuzzy"})}
    ) == ["fuzzy: Views"]


def test_the_translations_compile_as_zope_compiles_them():
    for language in LANGUAGES:
        catalog = compiled(LOCALES / language / "LC_MESSAGES" / "slc.clicktracker.po")
        assert catalog.info()["domain"] == "slc.clicktracker"
        assert catalog.info()["language-code"] == language
        assert catalog.gettext("Access log") == "Zugriffsprotokoll"
        assert (
            catalog.gettext("msg_chart_day")
            == "${day}: ${views} Aufrufe, ${readers} Leser"
        )


def test_the_plone_domain_texts_are_translated():
    wanted = plone_domain_messages()
    # The portlet type's title and description (profiles/default/portlets.xml).
    assert "My reading list" in wanted
    for language in LANGUAGES:
        po = LOCALES / language / "LC_MESSAGES" / "plone.po"
        texts = pot.entries(po.read_text(encoding="utf-8"))
        assert {m: (None, "", set()) for m in wanted}.keys() == texts.keys()
        assert all(msgstr.strip() for _, msgstr, _ in texts.values())
        assert compiled(po).gettext("My reading list") == "Meine Leseliste"


def test_compiled_catalogs_stay_out_of_git():
    # zope.i18n writes them beside the .po at start-up.
    assert "*.mo" in (ROOT / ".gitignore").read_text().split()


def test_the_demo_speaks_english_or_a_translated_language():
    assert demo_language({}) == "en"
    assert demo_language({"DEMO_LANGUAGE": " DE "}) == "de"
    with pytest.raises(RuntimeError, match="'xx' is not offered; use one of en, de"):
        demo_language({"DEMO_LANGUAGE": "xx"})
