"""Recognise crawlers and automated clients by their User-Agent header.

``DEFAULT_PATTERNS`` is plain data, ``(name, regular expression)`` pairs
matched case-insensitively anywhere in the header. A site keeps its own list
as lines of ``Name: regex`` (see ``parse_lines``; the setting
``bot_patterns`` of ``slc.clicktracker.settings``), which ``is_bot`` and
``bot_name`` take as ``lines``; without lines, or when they are broken,
``DEFAULT_PATTERNS`` apply. Nothing here reads the registry.

An empty or missing User-Agent counts as a bot: every real browser sends
one, scripts often do not.

Headless Chromium says "HeadlessChrome" and is treated as a bot; browser
tests that should be tracked must set an ordinary desktop User-Agent.
"""

import functools
import logging
import re


logger = logging.getLogger(__name__)


DEFAULT_PATTERNS = (
    # Search engines and their helpers.
    ("Googlebot", r"googlebot|google-inspectiontool|adsbot-google|mediapartners"),
    ("Google other", r"google-extended|googleother|storebot-google"),
    ("Bingbot", r"bingbot|bingpreview|msnbot|adidxbot"),
    ("Baidu", r"baiduspider"),
    ("Yandex", r"yandex(bot|images|metrika|mobilebot)"),
    ("DuckDuckGo", r"duckduckbot|duckduckgo-favicons-bot"),
    ("Yahoo Slurp", r"slurp"),
    ("Applebot", r"applebot"),
    ("Seznam", r"seznambot"),
    ("Qwant", r"qwantify"),
    # Link previews of social networks and messengers.
    ("Facebook", r"facebookexternalhit|facebookcatalog|meta-externalagent"),
    ("Twitter", r"twitterbot"),
    ("LinkedIn", r"linkedinbot"),
    ("Slack", r"slackbot|slack-imgproxy"),
    ("Telegram", r"telegrambot"),
    ("WhatsApp", r"whatsapp"),
    ("Discord", r"discordbot"),
    ("Pinterest", r"pinterestbot"),
    ("Skype", r"skypeuripreview"),
    # SEO tools and archives.
    ("Ahrefs", r"ahrefs(bot|siteaudit)"),
    ("Semrush", r"semrush"),
    ("Majestic", r"mj12bot"),
    ("Petal", r"petalbot"),
    ("DotBot", r"dotbot"),
    ("BLEXBot", r"blexbot"),
    ("Internet Archive", r"ia_archiver|archive\.org_bot"),
    # AI crawlers.
    ("AI crawlers", r"gptbot|chatgpt-user|claudebot|anthropic-ai|ccbot|perplexitybot"),
    ("Bytespider", r"bytespider"),
    # Generic words; "cubot" is a phone brand, not a robot.
    ("Generic bot", r"(?<!cu)bot(\b|_)"),
    ("Generic crawler", r"crawl|spider|scraper|scrapy"),
    ("Monitoring", r"uptimerobot|pingdom|statuscake|site24x7|nagios|zabbix"),
    ("Lighthouse", r"lighthouse|pagespeed|gtmetrix"),
    # Command line tools and HTTP libraries.
    ("curl", r"\bcurl/"),
    ("Wget", r"\bwget/"),
    ("Python", r"python-requests|python-urllib|python-httpx|aiohttp|httpx/|urllib3"),
    ("Other libraries", r"go-http-client|okhttp|java/|libwww-perl|axios/|node-fetch"),
    ("Other tools", r"httrack|apache-httpclient|postmanruntime|insomnia"),
    # Headless and automated browsers.
    ("HeadlessChrome", r"headlesschrome"),
    ("PhantomJS", r"phantomjs"),
    ("Puppeteer", r"puppeteer"),
    ("Playwright", r"playwright"),
    ("Selenium", r"selenium|webdriver"),
    ("Cypress", r"cypress"),
)


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


_DEFAULT = compile_patterns(DEFAULT_PATTERNS)
_DEFAULT_LINES = tuple(format_lines(DEFAULT_PATTERNS))
# Real User-Agents are shorter; longer ones are not kept in the cache below.
MAX_CACHED_LENGTH = 512


def bot_name(user_agent, lines=None):
    """The name of the first pattern matching ``user_agent``, or None.

    :param lines: the site's ``Name: regex`` lines (a tuple), or None for
        ``DEFAULT_PATTERNS``. Broken lines (set in code or XML: the form
        refuses them) are logged once and the defaults apply.
    :returns: the pattern's name; ``"no User-Agent"`` for an empty or
        missing User-Agent.
    """
    if not user_agent or not user_agent.strip():
        return "no User-Agent"
    lines = _usable(lines)
    cacheable = len(user_agent) <= MAX_CACHED_LENGTH
    if lines is None:
        if cacheable:
            return _default_match(user_agent)
        return first_match(user_agent, _DEFAULT)
    if cacheable:
        return _configured_match(lines, user_agent)
    return first_match(user_agent, _compiled(lines))


def _usable(lines):
    """``lines`` as a hashable tuple, or None for the defaults."""
    if lines is None:
        return None
    lines = tuple(lines)
    if lines == _DEFAULT_LINES:
        return None
    try:
        _compiled(lines)
    except (ValueError, re.error) as error:
        _warn_broken(lines, str(error))
        return None
    return lines


@functools.lru_cache(maxsize=16)
def _compiled(lines):
    # Compiled once per distinct list; a changed list is a new key.
    return compile_patterns(parse_lines(lines))


@functools.lru_cache(maxsize=16)
def _warn_broken(lines, reason):
    logger.warning("Invalid bot patterns, using the defaults: %s", reason)


def first_match(user_agent, patterns):
    """The name of the first of ``patterns`` (from compile_patterns) that
    matches ``user_agent``, or None."""
    for name, regex in patterns:
        if regex.search(user_agent):
            return name
    return None


# Trying every pattern takes ~0.1 ms; the same few User-Agents come back on
# every page, and a hit in this cache costs next to nothing.
@functools.lru_cache(maxsize=4096)
def _default_match(user_agent):
    return first_match(user_agent, _DEFAULT)


@functools.lru_cache(maxsize=4096)
def _configured_match(lines, user_agent):
    return first_match(user_agent, _compiled(lines))


def is_bot(user_agent, lines=None):
    """True for a bot; ``lines`` as for ``bot_name``."""
    return bot_name(user_agent, lines) is not None
