"""Which User-Agents count as bots."""

from pathlib import Path
from slc.clicktracker import botmatch
from slc.clicktracker import bots
from slc.clicktracker import botsyntax
from slc.clicktracker import crawlerlist
import pytest
import re


DATA = Path(__file__).parent / "data"

BOTS = {
    "Googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Googlebot smartphone": "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Baiduspider": "Mozilla/5.0 (compatible; Baiduspider/2.0; "
    "+http://www.baidu.com/search/spider.html)",
    "YandexBot": "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "DuckDuckBot": "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "Slurp": "Mozilla/5.0 (compatible; Yahoo! Slurp; "
    "http://help.yahoo.com/help/us/ysearch/slurp)",
    "facebookexternalhit": "facebookexternalhit/1.1 "
    "(+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot": "Twitterbot/1.0",
    "LinkedInBot": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient "
    "+http://www.linkedin.com)",
    "AhrefsBot": "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "SemrushBot": "Mozilla/5.0 (compatible; SemrushBot/7~bl; "
    "+http://www.semrush.com/bot.html)",
    "MJ12bot": "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
    "PetalBot": "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Mobile Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
    "Applebot": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; "
    "+http://www.apple.com/go/applebot)",
    "GPTBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; "
    "GPTBot/1.2; +https://openai.com/gptbot)",
    "some crawler": "ExampleCrawler/0.9 (+https://example.org/about)",
    "some spider": "Mozilla/5.0 (compatible; Sogou web spider/4.0)",
    "some robot": "NiceRobot 1.0",
    "curl": "curl/8.5.0",
    "Wget": "Wget/1.21.4",
    "python-requests": "python-requests/2.32.3",
    "testbrowser": "Python-urllib/2.4",
    "Go": "Go-http-client/1.1",
    "a tool": "undici",
    "a library": "reqwest/0.12.4",
    "HeadlessChrome": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
    "PhantomJS": "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like "
    "Gecko) PhantomJS/2.1.1 Safari/538.1",
    "Lighthouse": "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 "
    "Chrome-Lighthouse",
    "SafeAssign": "Blackboard Safeassign",
}

BROWSERS = {
    "Chrome Linux": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Chrome Windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Edge": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
    "Firefox": "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 "
    "Firefox/127.0",
    "Safari macOS": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
    "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Safari iPhone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
    "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 "
    "Safari/604.1",
    "Chrome Android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36",
    "Cubot phone": "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    "B BOT phone": "Mozilla/5.0 (Linux; Android 6.0; B BOT 50 Build/MRA58K) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.116 Mobile Safari/537.36",
    "Panasonic phone": "Mozilla/5.0 (Linux; Android 4.4.2; Panasonic ELUGA A "
    "Build/KOT49H) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/47.0.2526.83 "
    "Mobile Safari/537.36",
    "HTC Butterfly": "Mozilla/5.0 (Linux; Android 4.2.2; HTC Butterfly Build/JDQ39) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0.1599.92 Mobile Safari/537.36",
    "Blackboard app": "Mozilla/5.0 (iPhone; CPU iPhone OS 11_2_6 like Mac OS X) "
    "AppleWebKit/604.5.6 (KHTML, like Gecko) Mobile/15D100 Blackboard/3.6.0",
    "Samsung Internet": "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 "
    "(KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
    "Facebook app": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
    "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0]",
    "Pinterest app": "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 [Pinterest/Android]",
    "Opera": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0",
}
CHECKER_UA = "ACME-Check/2 (intranet health)"


def sample(name):
    """The User-Agents of a sample file in data/ (its "# " lines say whence)."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("# ")]


@pytest.mark.parametrize("ua", BOTS.values(), ids=BOTS.keys())
def test_bots(ua):
    assert bots.is_bot(ua)
    assert bots.bot_name(ua)


@pytest.mark.parametrize("ua", BROWSERS.values(), ids=BROWSERS.keys())
def test_browsers(ua):
    assert bots.bot_name(ua) is None
    assert not bots.is_bot(ua)


def test_known_crawlers_are_recognised():
    # Example User-Agents of crawler-user-agents; the goal is 99 %.
    crawlers = sample("crawlers_sample.txt")
    missed = [ua for ua in crawlers if not bots.is_bot(ua)]
    assert len(crawlers) > 200
    assert len(missed) <= len(crawlers) // 100, missed


def test_real_browsers_are_not_bots():
    # Real browsers' User-Agents (fake-useragent); the goal is at most 0.1 %.
    browsers = sample("browsers_sample.txt")
    assert len(browsers) > 200
    assert [ua for ua in browsers if bots.is_bot(ua)] == []


@pytest.mark.parametrize("ua", [None, "", "   "])
def test_no_user_agent_is_a_bot(ua):
    assert bots.is_bot(ua)
    assert bots.bot_name(ua) == "no User-Agent"
    assert bots.is_bot(ua, exceptions=("Everything: .",))


def test_names_the_matching_pattern():
    assert bots.bot_name(BOTS["Googlebot"]) == "Googlebot"
    assert bots.bot_name(BOTS["HeadlessChrome"]) == "HeadlessChrome"
    assert bots.bot_name("CURL/7.1") == "curl"  # case-insensitive
    assert bots.bot_name(BOTS["SafeAssign"]) == "Blackboard SafeAssign"


def test_crawler_list_names():
    # Known only to the crawler list: named after its pattern.
    assert bots.bot_name("Mozilla/5.0 (compatible; Cliqzbot/2.0)") == "Cliqzbot"
    assert crawlerlist.entry_name({"pattern": "Googlebot\\/"}) == "Googlebot"
    assert crawlerlist.entry_name({"pattern": "[wW]get"}) == "Wget"
    assert crawlerlist.entry_name({"pattern": "^.{3}$", "url": "https://www.x.org/"})
    assert crawlerlist.entry_name({"pattern": "\\d+", "url": "http://www.x.org/a"}) == (
        "x.org"
    )
    assert crawlerlist.entry_name({"pattern": "\\d+"}) == "Crawler"


def test_crawler_list_is_case_sensitive():
    # As its patterns are meant: "Sonic" is a crawler, Panasonic a phone.
    assert ("Sonic", "Sonic") in bots.crawler_patterns()
    assert not bots.is_bot("Mozilla/5.0 (Linux; Android 9; Panasonic P100)")


def test_excluded_crawler_patterns():
    entries = crawlerlist.load()
    excluded = [e for e in entries if e["pattern"] in crawlerlist.EXCLUDED]
    # Each exclusion still names a pattern of the list (else drop it) ...
    assert {e["pattern"] for e in excluded} == set(crawlerlist.EXCLUDED)
    assert not set(crawlerlist.EXCLUDED) & {p for _n, p in bots.crawler_patterns()}
    # ... and its crawlers are recognised all the same.
    assert all(bots.is_bot(ua) for ua in crawlerlist.instances(excluded))


def test_own_patterns_are_data():
    ours = bots.NAMED_PATTERNS + bots.GENERIC_PATTERNS
    assert isinstance(bots.NAMED_PATTERNS, tuple)
    assert isinstance(bots.GENERIC_PATTERNS, tuple)
    for name, pattern in ours:
        assert isinstance(name, str) and name and ":" not in name
        re.compile(pattern)
    names = [name for name, _pattern in ours]
    assert len(names) == len(set(names))


def test_generic_patterns_name_last():
    # A crawler known by name keeps it; only the unknown get a generic one.
    assert bots.bot_name("FooBot/1.0 (+https://foo.example)") == "Generic bot"
    assert bots.bot_name("Zeta/2 (+https://zeta.example)") == "URL in User-Agent"
    assert bots.bot_name("zeta-fetch/2.1") == "Tool or library"


def test_additions():
    lines = ("Intranet checker: acme-check/\\d",)
    assert not bots.is_bot(CHECKER_UA)
    assert bots.bot_name(CHECKER_UA, lines) == "Intranet checker"
    assert bots.is_bot(CHECKER_UA, lines)
    # The built-in lists apply as well.
    assert bots.bot_name(BOTS["Googlebot"], lines) == "Googlebot"
    assert bots.is_bot("", lines)


def test_the_sites_names_come_first():
    lines = ("Our search: googlebot",)
    assert bots.bot_name(BOTS["Googlebot"], lines) == "Our search"


def test_exceptions():
    exceptions = ("Our monitor: uptime-probe/",)
    probe = "uptime-probe/1.0 (+https://intranet.example.org)"
    assert bots.is_bot(probe)
    assert not bots.is_bot(probe, exceptions=exceptions)
    assert bots.bot_name(probe, exceptions=exceptions) is None
    # Even over the site's additions.
    assert not bots.is_bot(probe, ("Probe: probe",), exceptions)
    assert bots.is_bot("curl/8.5.0", exceptions=exceptions)


def test_broken_lines_are_left_out(caplog):
    # A list of its own: the warning comes once per distinct broken list.
    broken = ("Broken in a unit test: (unclosed",)
    assert bots.is_bot("curl/8.5.0", broken)
    assert bots.is_bot("curl/8.5.0", exceptions=broken)
    assert not bots.is_bot(BROWSERS["Firefox"], broken)
    assert "Invalid bot patterns" in caplog.text


def test_invalid_pattern_names_itself():
    with pytest.raises(re.error, match="Broken"):
        bots.compile_patterns([("Fine", "ok"), ("Broken", "(unclosed")])


def test_long_user_agents():
    # Not cached, still checked.
    padding = " x" * 1000
    assert bots.is_bot(BOTS["Googlebot"] + padding)
    assert bots.bot_name(BOTS["Googlebot"] + padding) == "Googlebot"
    assert not bots.is_bot(BROWSERS["Firefox"] + padding)
    assert not bots.is_bot(CHECKER_UA + padding, exceptions=("Checker: acme",))


def test_lines_round_trip():
    lines = bots.format_lines(bots.NAMED_PATTERNS)
    assert lines[0] == "Googlebot: " + bots.NAMED_PATTERNS[0][1]
    assert bots.parse_lines(lines) == bots.NAMED_PATTERNS


def test_parse_lines():
    assert bots.parse_lines(["  A: x(?:y)  ", "", "B:z"]) == (
        ("A", "x(?:y)"),
        ("B", "z"),
    )
    for bad in (["no colon"], [": no name"], ["No pattern:"]):
        with pytest.raises(ValueError):
            bots.parse_lines(bad)


# -- how the lists are checked together (botsyntax, botmatch) ----------------


@pytest.mark.parametrize(
    "pattern,expected",
    [
        ("Googlebot\\/", (("Googlebot/", False, False),)),
        ("[wW]get", (("Wget", False, False), ("wget", False, False))),
        ("^Ahrefs(Bot|SiteAudit)$", (("AhrefsBot", 1, 1), ("AhrefsSiteAudit", 1, 1))),
        ("(^| )sentry\\/", ((" sentry/", False, False), ("sentry/", True, False))),
        ("a^b", ()),  # never matches
        ("x(?:y|z)", (("xy", False, False), ("xz", False, False))),
    ],
)
def test_literals(pattern, expected):
    assert botsyntax.literals(pattern) == expected


@pytest.mark.parametrize(
    "pattern",
    [
        *("a+", "a?b", "\\d", "[^a]", "[a-z]", "(?i)x", "(?<!a)b", "a{2}", "ü", "."),
        *("(a", "a)", "[]a]", "a$\n"),  # "$" also matches before a final newline
    ],
)
def test_not_literals(pattern):
    assert botsyntax.literals(pattern) is None


@pytest.mark.parametrize(
    "pattern,needle",
    [
        ("AdsBot-Google([^-]|$)", "AdsBot-Google"),
        ("\\bcurl/", "curl/"),
        ("(?<!cu)bot(\\b|_)", "bot"),
        ("^abc*", "ab"),
        ("a|b", ""),
        ("abc(x|y)|z", ""),
        ("(?<!a|b)xyz", "xyz"),
        ("[ab]cd", ""),
    ],
)
def test_gate(pattern, needle):
    assert botsyntax.gate(pattern) == needle


def test_trie_source():
    regex = re.compile(botsyntax.trie_source(["bot", "bots", "bing", "a.b"]))
    assert regex.pattern == "(?:a\\.b|b(?:ing|ot))"
    assert [bool(regex.search(s)) for s in ("xbotx", "bin", "a.b", "axb")] == [
        True,
        False,
        True,
        False,
    ]


TRICKY_PATTERNS = (
    ("Anchored", "^Start|End$|^Whole$"),
    ("Set", "[xX]-?Agent"),
    ("Backreference", "(ab)\\1"),
    ("Global flag", "(?x) spaced  out"),
    ("Gated", "Gate\\d+"),
    ("Broken", "(unclosed"),
)


def tricky_user_agents(uas):
    for ua in uas:
        yield ua
        yield ua.upper()
        yield ua + "\n"
        yield ua.replace("i", "\u0130").replace("k", "\u212a")
    yield from ("start x", "x end", "whole", "Whole\n", "abab", "spacedout", "gate42")


@pytest.mark.parametrize("ignore_case", [True, False])
def test_matcher_answers_as_the_regular_expressions(ignore_case):
    entries = (
        bots.NAMED_PATTERNS
        + bots.crawler_patterns()
        + bots.GENERIC_PATTERNS
        + TRICKY_PATTERNS
    )
    matcher = botmatch.Matcher(entries, ignore_case=ignore_case)
    flags = re.IGNORECASE if ignore_case else 0
    compiled = []
    for name, pattern in entries:
        try:
            compiled.append((name, re.compile(pattern, flags)))
        except re.error:
            continue  # left out by the matcher as well
    uas = sample("crawlers_sample.txt")[::3] + sample("browsers_sample.txt")[::3]
    for ua in tricky_user_agents(uas + list(BOTS.values()) + list(BROWSERS.values())):
        expected = next((n for n, regex in compiled if regex.search(ua)), None)
        assert (matcher.name(ua), matcher.search(ua)) == (expected, bool(expected)), ua
