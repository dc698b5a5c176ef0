"""The data protection settings: registry records under ``slc.clicktracker``
and the control panel's "Data protection" fieldset.

The pseudonym key is a record of its own schema (``IPrivacyKey``), outside
the control panel's: the form never shows it, nor does @controlpanels. It
is made on install (and by the upgrade to 1008) and never changes, so that
a member's pseudonym stays the same over the years.
"""

from collections import namedtuple
from plone.supermodel import model
from slc.clicktracker import _
from slc.clicktracker.settings import record_name
from slc.clicktracker.settings import registry_values
from urllib.parse import urlsplit
from zope import schema
from zope.interface import Interface
from zope.interface import Invalid
from zope.schema.vocabulary import SimpleTerm
from zope.schema.vocabulary import SimpleVocabulary
import re
import secrets


ERASE = "erase"
PSEUDONYMISE = "pseudonymise"
KEEP = "keep"
ON_DELETE_VOCABULARY = SimpleVocabulary(
    [
        SimpleTerm(ERASE, ERASE, _("Erase their data")),
        SimpleTerm(
            PSEUDONYMISE, PSEUDONYMISE, _("Replace their user id by a pseudonym")
        ),
        SimpleTerm(KEEP, KEEP, _("Keep their data as it is")),
    ]
)

# "de", "pt-br", "zh-hant-tw": what Plone's language settings use.
LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")
KEY_RECORD = record_name("pseudonym_key")


def parse_notice_lines(lines):
    """``{language: text}`` of "language|text" lines; ValueError names the
    first line that is none (an empty or repeated language, no text)."""
    texts = {}
    for number, line in enumerate(lines or (), start=1):
        language, bar, text = (line or "").partition("|")
        language, text = language.strip().lower(), text.strip()
        if not bar or not LANGUAGE.fullmatch(language) or not text:
            raise ValueError(number, line)
        if language in texts:
            raise ValueError(number, line)
        texts[language] = text
    return texts


def valid_notice_lines(lines):
    try:
        parse_notice_lines(lines)
    except ValueError as error:
        number, line = error.args
        raise Invalid(
            _(
                "error_notice_line",
                default="Line ${number} (“${line}”) is not valid: write one "
                "language code, a “|” and the text, such as “de|Ihr Lesen "
                "wird erfasst.”, each language once.",
                mapping={"number": number, "line": line},
            )
        ) from None
    return True


def valid_privacy_url(value):
    """An http(s) address, or a path in the site such as ``/privacy``."""
    value = (value or "").strip()
    if not value:
        return True
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is not None and not parts.scheme and not value.startswith("//"):
        if not re.search(r"\s", value):
            return True
    elif parts is not None and parts.scheme in ("http", "https") and parts.hostname:
        return True
    raise Invalid(
        _(
            "error_privacy_url",
            default="“${value}” is neither an http(s) address nor a path in "
            "the site (such as /privacy).",
            mapping={"value": value},
        )
    )


class IPrivacySettings(model.Schema):
    """Records stored in plone.registry under the prefix ``slc.clicktracker``."""

    model.fieldset(
        "privacy",
        label=_("Data protection"),
        fields=[
            "on_member_deleted",
            "pseudonymise_after_days",
            "notice_enabled",
            "notice_texts",
            "privacy_url",
        ],
    )

    on_member_deleted = schema.Choice(
        title=_("When a member is deleted"),
        description=_(
            "help_on_member_deleted",
            default="What happens to the reading data of a member who is "
            "deleted from the site (Users and Groups). A pseudonym keeps the "
            "statistics without naming the person.",
        ),
        vocabulary=ON_DELETE_VOCABULARY,
        required=True,
        default=ERASE,
    )

    pseudonymise_after_days = schema.Int(
        title=_("Pseudonymise reading data older than (days)"),
        description=_(
            "help_pseudonymise_after_days",
            default="Member ids in hits, visits and totals older than this "
            "are replaced by stable pseudonyms (“Pseudonymise old data” on "
            "the member data page, or the scheduled clicktracker-privacy "
            "run). 0: never.",
        ),
        required=True,
        default=0,
        min=0,
    )

    notice_enabled = schema.Bool(
        title=_("Show a notice on tracked pages"),
        description=_(
            "help_notice_enabled",
            default="A short line on every tracked page saying that reading "
            "it is recorded, with a link to the privacy page. Off: tracking "
            "stays invisible.",
        ),
        required=False,
        default=False,
    )

    notice_texts = schema.List(
        title=_("Notice text per language"),
        description=_(
            "help_notice_texts",
            default="One line per language: the language code, “|”, the "
            "text, for example “en|Your reading of this page is recorded for "
            "the board's records.” Pages show the text of their language, "
            "else the site's language, else the first line.",
        ),
        value_type=schema.TextLine(),
        required=False,
        default=[],
        constraint=valid_notice_lines,
    )

    privacy_url = schema.TextLine(
        title=_("Privacy page"),
        description=_(
            "help_privacy_url",
            default="Where the notice links to: an address (https://...) or "
            "a path in this site (/privacy). Empty: no link.",
        ),
        required=False,
        default="",
        constraint=valid_privacy_url,
    )


class IPrivacyKey(Interface):
    """The pseudonym key: a record of its own, never in a form."""

    pseudonym_key = schema.ASCIILine(
        title=_("Pseudonym key"),
        description=_(
            "help_pseudonym_key",
            default="The secret that turns member ids into pseudonyms. "
            "Changing it gives everyone new pseudonyms.",
        ),
        required=False,
        default="",
    )


PrivacySettings = namedtuple(
    "PrivacySettings",
    "on_member_deleted pseudonymise_after_days notice_enabled notice_texts "
    "privacy_url key",
)

_FIELDS = ("on_member_deleted", "pseudonymise_after_days", "notice_enabled")
_RECORDS = (
    *((record_name(name), IPrivacySettings[name].default) for name in _FIELDS),
    (record_name("notice_texts"), None),
    (record_name("privacy_url"), ""),
    (KEY_RECORD, ""),
)


def read():
    """The current site's PrivacySettings; defaults for missing records (and
    outside a site); ``key`` is bytes, or None while there is none."""
    values = registry_values(_RECORDS)
    if values is None:
        values = [default for _name, default in _RECORDS]
    deleted, days, notice, lines, url, key = values
    try:
        texts = parse_notice_lines(lines)
    except ValueError:
        texts = {}  # stored by hand around the form's check: no notice
    return PrivacySettings(
        on_member_deleted=deleted,
        pseudonymise_after_days=days,
        notice_enabled=bool(notice),
        notice_texts=texts,
        privacy_url=(url or "").strip(),
        key=key.encode("ascii") if key else None,
    )


def installed():
    """Whether this site has the add-on's data protection records."""
    from plone.registry.interfaces import IRegistry
    from zope.component import queryUtility

    registry = queryUtility(IRegistry)
    return registry is not None and record_name("on_member_deleted") in registry


def ensure_key():
    """Make the pseudonym key if the site has none; returns True if made.
    The key's ASCII text is the key (a CLI key file holds the same text)."""
    from plone.registry.interfaces import IRegistry
    from zope.component import getUtility

    registry = getUtility(IRegistry)
    if registry.get(KEY_RECORD):
        return False
    registry[KEY_RECORD] = secrets.token_hex(32)
    return True
