"""The crawler list of the ``crawler-user-agents`` package, as named patterns.

The package (MIT licence) is a maintained, frequently released list of
crawler User-Agent patterns, each with real User-Agents it must match
(checked by the project's own tests), about 1,500 of them. Its patterns are
meant case-sensitively, and so they are used here: ignoring case makes
"Sonic" find Panasonic phones and "NING/" every "Lightning/".

A few patterns also match real browsers; ``EXCLUDED`` leaves them out, each
with the reason, and ``bots.NAMED_PATTERNS`` recognises their crawlers in a
narrower way.
"""

from slc.clicktracker.botsyntax import gate
from slc.clicktracker.botsyntax import literals
from urllib.parse import urlsplit
import logging


logger = logging.getLogger(__name__)

# Pattern (as in the package) -> why it is left out.
EXCLUDED = {
    "Blackboard": "the Blackboard Learn app's browser says Blackboard/3.6.0; "
    "the crawler says Blackboard Safeassign",
    "Butterfly": "HTC Butterfly phones; the crawler (Topsy) gives a URL",
    "008\\/": "Opera Mini build numbers (Opera Mini/4.4.39008/37.8625)",
    "Sogou": "the Sogou mobile browser (SogouMSE); Sogou's crawlers say spider",
}
# Stripped from the ends of a name taken from a pattern.
_PUNCTUATION = " /\\;:,()[]-_.+"


def load():
    """The package's entries, or () when it is missing (logged)."""
    try:
        import crawleruseragents
    except ImportError:
        logger.warning("crawler-user-agents is not installed: its crawlers are unknown")
        return ()
    return tuple(crawleruseragents.CRAWLER_USER_AGENTS_DATA)


def entry_name(entry):
    """A short name for a crawler entry: the words of its pattern
    ("Googlebot\\/" -> "Googlebot"), else its URL's host, else "Crawler"."""
    pattern = entry.get("pattern") or ""
    found = literals(pattern)
    words = found[0][0] if found else gate(pattern)
    words = words.strip(_PUNCTUATION)
    if words:
        return words
    host = urlsplit(entry.get("url") or "").hostname or ""
    return host.removeprefix("www.") or "Crawler"


def patterns(entries=None):
    """``((name, pattern), ...)`` of the crawler list, less ``EXCLUDED``."""
    if entries is None:
        entries = load()
    return tuple(
        (entry_name(entry), entry["pattern"])
        for entry in entries
        if entry.get("pattern") and entry["pattern"] not in EXCLUDED
    )


def instances(entries=None):
    """Every example User-Agent of the list (excluded entries' too)."""
    if entries is None:
        entries = load()
    return [ua for entry in entries for ua in entry.get("instances") or ()]
