"""The connection string (DSN): where it comes from, and its secrets.

Where: ``effective_dsn()`` is the environment variable ``SLC_CLICKTRACKER_DSN``
when it is non-empty (keeps passwords out of the ZODB), else the registry
record ``slc.clicktracker.dsn`` of the current site, else nothing.

Secrets: the control panel never sends a stored password back to the browser: it shows
the DSN with every secret replaced by ``MASK`` and, when the form comes back
with ``MASK`` still in place, puts the stored secret back. Both libpq syntaxes
are handled: keyword/value (``host=db password='s e\\'cret'``) and URI
(``postgresql://user:secret@db/name?sslpassword=x``).

The masking functions are pure Python, so they are unit-tested without Zope.
"""

from slc.clicktracker.settings import DSN_RECORD
from urllib.parse import quote
from urllib.parse import unquote
import hashlib
import json
import os
import re


ENV_DSN = "SLC_CLICKTRACKER_DSN"

SOURCE_ENVIRONMENT = "environment"
SOURCE_REGISTRY = "registry"

NOT_CONFIGURED = (
    "No database is configured: set the connection string (DSN) in Site Setup "
    f"-> Click tracker settings, or the environment variable {ENV_DSN}."
)


MASK = "********"

# Connection parameters whose values are secrets.
SECRET_KEYS = frozenset({"password", "sslpassword"})

URI_SCHEMES = ("postgresql://", "postgres://")

# libpq keyword/value syntax: ``key = value``; a value is either single-quoted
# (backslash escapes inside) or runs up to the next whitespace (backslash
# escapes too).
_PAIR = re.compile(
    r"""(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*
        (?P<value>'(?:\\.|[^'\\])*'?|(?:\\.|\\$|[^\s\\])*)""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def is_uri(dsn):
    return dsn.lstrip().startswith(URI_SCHEMES)


def _unescape_keyword_value(raw):
    if raw.startswith("'"):
        raw = raw[1:-1] if len(raw) > 1 and raw.endswith("'") else raw[1:]
    return _ESCAPE.sub(r"\1", raw)


def _quote_keyword_value(value):
    if value and not re.search(r"[\s'\\]", value):
        return value
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def secrets(dsn):
    """Secrets in ``dsn`` as ``(key, start, end, value)``, in string order.

    ``start:end`` is the raw (quoted or percent-encoded) text of the value;
    ``value`` is what libpq would see.
    """
    dsn = dsn or ""
    if is_uri(dsn):
        return _uri_secrets(dsn)
    found = []
    for match in _PAIR.finditer(dsn):
        if match.group("key").lower() in SECRET_KEYS:
            raw = match.group("value")
            found.append(
                (
                    match.group("key").lower(),
                    match.start("value"),
                    match.end("value"),
                    _unescape_keyword_value(raw),
                )
            )
    return found


def _uri_secrets(dsn):
    found = []
    start = dsn.index("://") + 3
    # Like libpq, user info is whatever precedes an "@" met before any "/"; the
    # last such "@" is taken so that a stray one in a password is masked too.
    authority_end = dsn.find("/", start)
    if authority_end == -1:
        authority_end = len(dsn)
    at = dsn.rfind("@", start, authority_end)
    if at != -1:
        colon = dsn.find(":", start, at)
        if colon != -1:
            found.append(("password", colon + 1, at, unquote(dsn[colon + 1 : at])))
    query = dsn.find("?", at + 1 if at != -1 else start)
    if query != -1:
        pos = query + 1
        for part in dsn[query + 1 :].split("&"):
            key, sep, value = part.partition("=")
            if sep and unquote(key).lower() in SECRET_KEYS:
                begin = pos + len(key) + 1
                found.append(
                    (unquote(key).lower(), begin, begin + len(value), unquote(value))
                )
            pos += len(part) + 1
    return found


def _replace(dsn, replacements):
    """Replace ``(start, end, text)`` spans, working backwards."""
    for start, end, text in sorted(replacements, reverse=True):
        dsn = dsn[:start] + text + dsn[end:]
    return dsn


def mask(dsn):
    """``dsn`` with every secret value replaced by ``MASK``."""
    dsn = dsn or ""
    return _replace(dsn, [(start, end, MASK) for _k, start, end, _v in secrets(dsn)])


def has_secret(dsn):
    return bool(secrets(dsn))


# What says which database a DSN reaches, and as whom; never a secret.
TARGET_KEYS = ("service", "host", "hostaddr", "port", "dbname", "user")


def target(dsn):
    """The parts of ``dsn`` that name the server, database and user.

    A DSN libpq cannot parse is its own target (it reaches nothing anyway).
    """
    from psycopg2.extensions import parse_dsn

    try:
        parsed = parse_dsn(dsn or "")
    except Exception:
        return {"unparsable": mask(dsn or "")}
    return {key: parsed[key] for key in TARGET_KEYS if parsed.get(key)}


def same_target(new, old):
    """True when ``new`` reaches the same server, database and user as ``old``."""
    return target(new) == target(old)


def destination(dsn):
    """A short, secret-free key for the database ``dsn`` reaches (or "" for
    none), kept with spooled hits so that each goes only there."""
    if not (dsn or "").strip():
        return ""
    text = json.dumps(target(dsn), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def merge(new, old):
    """``new`` with masked secrets filled in from ``old``.

    A secret the user left as ``MASK`` keeps its stored value (the last one
    for that key in ``old``, as libpq uses the last), but only when ``new``
    reaches the same server, database and user as ``old``: a stored password
    never travels to a host somebody just typed. A masked secret with no
    stored counterpart stays as typed.
    """
    new = new or ""
    if not same_target(new, old or ""):
        return new
    stored = {key: value for key, _s, _e, value in secrets(old or "")}
    uri = is_uri(new)
    replacements = []
    for key, start, end, value in secrets(new):
        if value != MASK or key not in stored:
            continue
        real = stored[key]
        replacements.append(
            (start, end, quote(real, safe="") if uri else _quote_keyword_value(real))
        )
    return _replace(new, replacements)


def scrub(message, dsn):
    """``message`` (e.g. a libpq error) with the secrets of ``dsn`` masked."""
    message = str(message)
    for _key, start, end, value in secrets(dsn or ""):
        for text in {value, (dsn or "")[start:end]}:
            if text:
                message = message.replace(text, MASK)
    return message


# -- where the DSN comes from ---------------------------------------------------


def registry_dsn():
    """The DSN stored in the current site's registry, or "".

    Outside a site (no registry utility) or before the add-on is installed
    (no record) this is simply "", never an error.
    """
    from plone.registry.interfaces import IRegistry
    from zope.component import queryUtility

    # The registry itself, not plone.api: this runs for every hit.
    registry = queryUtility(IRegistry)
    value = registry.get(DSN_RECORD) if registry is not None else None
    return (value or "").strip()


def environment_dsn():
    return os.environ.get(ENV_DSN, "").strip()


def effective_dsn():
    """``(dsn, source)``: the DSN in use and where it came from (or None)."""
    dsn = environment_dsn()
    if dsn:
        return dsn, SOURCE_ENVIRONMENT
    dsn = registry_dsn()
    if dsn:
        return dsn, SOURCE_REGISTRY
    return "", None


def connection_problem(dsn, timeout=2):
    """Why ``dsn`` cannot be used (secrets masked), or None when it connects."""
    import psycopg2

    try:
        conn = psycopg2.connect(dsn, connect_timeout=timeout)
    except psycopg2.Error as exc:
        # libpq may quote parts of the DSN in its message.
        return scrub(str(exc).strip(), dsn) or exc.__class__.__name__
    conn.close()
    return None
