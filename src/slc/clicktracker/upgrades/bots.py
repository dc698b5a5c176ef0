"""Upgrade step (profile 1006 -> 1007): the site's bot list becomes additions.

Up to version 1006 the record ``slc.clicktracker.bot_patterns`` held the
whole bot list, which started as the add-on's defaults (frozen below as
``OLD_DEFAULT_LINES``, exactly as that version wrote them). From 1007 on
the built-in list lives in the code (``slc.clicktracker.bots``) and the
record holds only the site's additions, beside the new record
``bot_exceptions``.
"""

from slc.clicktracker.settings import PREFIX
from slc.clicktracker.settings import IClickTrackerSettings
from slc.clicktracker.settings import record_name
from zope.schema import getFieldNames
import logging


logger = logging.getLogger("slc.clicktracker")

BOT_FIELDS = ("bot_patterns", "bot_exceptions")

OLD_DEFAULT_LINES = (
    "Googlebot: googlebot|google-inspectiontool|adsbot-google|mediapartners",
    "Google other: google-extended|googleother|storebot-google",
    "Bingbot: bingbot|bingpreview|msnbot|adidxbot",
    "Baidu: baiduspider",
    "Yandex: yandex(bot|images|metrika|mobilebot)",
    "DuckDuckGo: duckduckbot|duckduckgo-favicons-bot",
    "Yahoo Slurp: slurp",
    "Applebot: applebot",
    "Seznam: seznambot",
    "Qwant: qwantify",
    "Facebook: facebookexternalhit|facebookcatalog|meta-externalagent",
    "Twitter: twitterbot",
    "LinkedIn: linkedinbot",
    "Slack: slackbot|slack-imgproxy",
    "Telegram: telegrambot",
    "WhatsApp: whatsapp",
    "Discord: discordbot",
    "Pinterest: pinterestbot",
    "Skype: skypeuripreview",
    "Ahrefs: ahrefs(bot|siteaudit)",
    "Semrush: semrush",
    "Majestic: mj12bot",
    "Petal: petalbot",
    "DotBot: dotbot",
    "BLEXBot: blexbot",
    "Internet Archive: ia_archiver|archive\\.org_bot",
    "AI crawlers: gptbot|chatgpt-user|claudebot|anthropic-ai|ccbot|perplexitybot",
    "Bytespider: bytespider",
    "Generic bot: (?<!cu)bot(\\b|_)",
    "Generic crawler: crawl|spider|scraper|scrapy",
    "Monitoring: uptimerobot|pingdom|statuscake|site24x7|nagios|zabbix",
    "Lighthouse: lighthouse|pagespeed|gtmetrix",
    "curl: \\bcurl/",
    "Wget: \\bwget/",
    "Python: python-requests|python-urllib|python-httpx|aiohttp|httpx/|urllib3",
    "Other libraries: go-http-client|okhttp|java/|libwww-perl|axios/|node-fetch",
    "Other tools: httrack|apache-httpclient|postmanruntime|insomnia",
    "HeadlessChrome: headlesschrome",
    "PhantomJS: phantomjs",
    "Puppeteer: puppeteer",
    "Playwright: playwright",
    "Selenium: selenium|webdriver",
    "Cypress: cypress",
)


def additions(lines):
    """The site's own lines among stored ``lines``: the old default lines
    are built in now, and blank lines mean nothing."""
    old = frozenset(OLD_DEFAULT_LINES)
    return [
        line.strip()
        for line in lines or ()
        if line and line.strip() and line.strip() not in old
    ]


def upgrade_bot_settings(context=None):
    """Keep only the site's own lines in ``bot_patterns``; add the record
    ``bot_exceptions`` (empty). Running it again changes nothing.

    :returns: the additions kept.
    """
    from plone.registry.interfaces import IRegistry
    from zope.component import getUtility

    registry = getUtility(IRegistry)
    name = record_name("bot_patterns")
    stored = registry.get(name)
    first_time = record_name("bot_exceptions") not in registry.records
    # As the profile's registry import would, for these two records only:
    # the new help texts and defaults; values that are there stay.
    others = [f for f in getFieldNames(IClickTrackerSettings) if f not in BOT_FIELDS]
    registry.registerInterface(IClickTrackerSettings, omit=others, prefix=PREFIX)
    kept = additions(stored)
    registry[name] = kept
    dropped = set(OLD_DEFAULT_LINES) - {(line or "").strip() for line in stored or ()}
    if first_time and stored is not None and dropped:
        # Removing a default line used to make its User-Agents count; now
        # that needs an exception. Say so rather than guess.
        logger.warning(
            "Bot patterns: the site had removed these default lines, which are "
            "built in now; add exceptions for User-Agents that should count: %s",
            "; ".join(sorted(dropped)),
        )
    logger.info(
        "Bot patterns: %d of the site's own lines kept as additions.", len(kept)
    )
    return kept
