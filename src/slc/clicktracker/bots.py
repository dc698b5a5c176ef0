"""Recognise crawlers and automated clients by their User-Agent header.

A User-Agent is a bot's when it matches a pattern of these lists, asked in
this order (the first that matches names the bot in the reports):

1. the site's additions, lines of ``Name: regex`` (setting
   ``bot_patterns``; see ``parse_lines``);
2. ``NAMED_PATTERNS`` (``bots_data``): crawlers and tools worth a name of
   their own;
3. the crawler list of the ``crawler-user-agents`` package
   (``crawlerlist``), a maintained data source updated with each release;
4. ``GENERIC_PATTERNS`` (``bots_data``): what automated clients say and
   browsers do not (the words bot, crawler, spider; a URL or an e-mail
   address; a lone ``name/version``).

A User-Agent that matches one of the site's exceptions (setting
``bot_exceptions``, lines of the same form) is no bot, whatever else
matches. An empty or missing User-Agent always counts as a bot: every real
browser sends one, scripts often do not. Headless and automated browsers
(HeadlessChrome, Playwright, Selenium, ...) are bots; browser tests that
should be tracked must set an ordinary desktop User-Agent.

The lists are checked together (``botmatch.Matcher``), and the answers
cached per User-Agent; the name is looked up only for a bot. Nothing here
reads the registry: ``is_bot`` and ``bot_name`` take the site's lines.
"""

from slc.clicktracker import botmatch
from slc.clicktracker import crawlerlist
from slc.clicktracker.bots_data import GENERIC_PATTERNS
from slc.clicktracker.bots_data import NAMED_PATTERNS
import functools
import logging
import re


logger = logging.getLogger(__name__)


@functools.cache
def crawler_patterns():
    """``((name, pattern), ...)`` of the crawler list (``crawlerlist``)."""
    return crawlerlist.patterns()


@functools.cache
def _matchers():
    """The built-in lists: the three asked in turn for a name, and the two
    that answer yes or no (ours checked at once: one lookup of their many
    strings). Built on first use (some 0.2 s), not when a script merely
    imports the settings."""
    crawlers = botmatch.Matcher(crawler_patterns(), ignore_case=False)
    for_names = (
        botmatch.Matcher(NAMED_PATTERNS),
        crawlers,
        botmatch.Matcher(GENERIC_PATTERNS),
    )
    return for_names, (botmatch.Matcher(NAMED_PATTERNS + GENERIC_PATTERNS), crawlers)


NO_USER_AGENT = "no User-Agent"
# Real User-Agents are shorter; longer ones are not kept in the caches below.
MAX_CACHED_LENGTH = 512


def format_lines(patterns):
    """``["Name: regex", ...]`` for ``(name, regex)`` pairs (the registry's form)."""
    return [f"{name}: {pattern}" for name, pattern in patterns]


def parse_lines(lines):
    """``((name, regex), ...)`` from lines of ``Name: regex``; blank lines skipped.

    The name ends at the first colon (a regex may contain colons, a name may
    not). Raises ValueError for a line without a name or without a regex.
    """
    patterns = []
    for line in lines:
        line = (line or "").strip()
        if not line:
            continue
        name, colon, pattern = line.partition(":")
        name, pattern = name.strip(), pattern.strip()
        if not colon or not name or not pattern:
            raise ValueError("expected 'Name: regular expression'")
        patterns.append((name, pattern))
    return tuple(patterns)


def compile_patterns(patterns):
    """``((name, compiled regex), ...)`` for ``(name, pattern)`` pairs.

    Raises ``re.error`` for an invalid pattern, naming it.
    """
    compiled = []
    for name, pattern in patterns:
        try:
            compiled.append((name, re.compile(pattern, re.IGNORECASE)))
        except re.error as error:
            raise re.error(f"{name}: {error.msg}", pattern, error.pos) from None
    return tuple(compiled)


def is_bot(user_agent, lines=None, exceptions=None):
    """True for a bot.

    :param lines: the site's additions, ``Name: regex`` lines, or None.
    :param exceptions: the site's exceptions, lines of the same form, or
        None. Broken lines (set in code or XML: the form refuses them) are
        logged once and left out, the built-in lists apply all the same.
    """
    if not user_agent or not user_agent.strip():
        return True
    lines, exceptions = _usable(lines), _usable(exceptions)
    if len(user_agent) <= MAX_CACHED_LENGTH:
        return _cached_is_bot(lines, exceptions, user_agent)
    return _is_bot(lines, exceptions, user_agent)


def bot_name(user_agent, lines=None, exceptions=None):
    """The name of the first pattern matching ``user_agent``, or None for
    no bot; ``"no User-Agent"`` for an empty or missing one. ``lines`` and
    ``exceptions`` as for ``is_bot``."""
    if not user_agent or not user_agent.strip():
        return NO_USER_AGENT
    lines, exceptions = _usable(lines), _usable(exceptions)
    if len(user_agent) <= MAX_CACHED_LENGTH:
        return _cached_name(lines, exceptions, user_agent)
    return _name(lines, exceptions, user_agent)


def _usable(lines):
    """``lines`` as a hashable tuple; None for none, or for broken ones."""
    return _checked(tuple(lines)) if lines else None


@functools.lru_cache(maxsize=16)
def _checked(lines):
    # Once per distinct list, so that a broken one is neither parsed nor
    # logged on every request.
    try:
        _site(lines)
    except (ValueError, re.error) as error:
        logger.warning("Invalid bot patterns, left out: %s", error)
        return None
    return lines


@functools.lru_cache(maxsize=16)
def _site(lines):
    patterns = parse_lines(lines)
    compile_patterns(patterns)  # raises for the first broken one
    return botmatch.Matcher(patterns)


def _excepted(exceptions, user_agent):
    return exceptions is not None and _site(exceptions).search(user_agent)


def _is_bot(lines, exceptions, user_agent):
    if _excepted(exceptions, user_agent):
        return False
    if lines is not None and _site(lines).search(user_agent):
        return True
    return any(matcher.search(user_agent) for matcher in _matchers()[1])


def _name(lines, exceptions, user_agent):
    if _excepted(exceptions, user_agent):
        return None
    site = () if lines is None else (_site(lines),)
    for matcher in (*site, *_matchers()[0]):
        name = matcher.name(user_agent)
        if name is not None:
            return name
    return None


# The same few User-Agents come back on every page; a hit in these caches
# costs next to nothing.
@functools.lru_cache(maxsize=4096)
def _cached_is_bot(lines, exceptions, user_agent):
    return _is_bot(lines, exceptions, user_agent)


@functools.lru_cache(maxsize=4096)
def _cached_name(lines, exceptions, user_agent):
    return _name(lines, exceptions, user_agent)
