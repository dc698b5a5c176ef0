"""Which User-Agents count as bots."""

from slc.clicktracker import bots
import pytest
import re


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
    "HeadlessChrome": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
    "PhantomJS": "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like "
    "Gecko) PhantomJS/2.1.1 Safari/538.1",
    "Lighthouse": "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 "
    "Chrome-Lighthouse",
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
    "Samsung Internet": "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 "
    "(KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
    "Facebook app": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
    "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0]",
    "Pinterest app": "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 [Pinterest/Android]",
    "Opera": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0",
}


@pytest.mark.parametrize("ua", BOTS.values(), ids=BOTS.keys())
def test_bots(ua):
    assert bots.is_bot(ua)


@pytest.mark.parametrize("ua", BROWSERS.values(), ids=BROWSERS.keys())
def test_browsers(ua):
    assert bots.bot_name(ua) is None
    assert not bots.is_bot(ua)


@pytest.mark.parametrize("ua", [None, "", "   "])
def test_no_user_agent_is_a_bot(ua):
    assert bots.is_bot(ua)
    assert bots.bot_name(ua) == "no User-Agent"


def test_names_the_matching_pattern():
    assert bots.bot_name(BOTS["Googlebot"]) == "Googlebot"
    assert bots.bot_name(BOTS["HeadlessChrome"]) == "HeadlessChrome"
    assert bots.bot_name("CURL/7.1") == "curl"  # case-insensitive


def test_default_list_is_data():
    assert isinstance(bots.DEFAULT_PATTERNS, tuple)
    for name, pattern in bots.DEFAULT_PATTERNS:
        assert isinstance(name, str) and name
        re.compile(pattern)
    names = [name for name, _pattern in bots.DEFAULT_PATTERNS]
    assert len(names) == len(set(names))


def test_custom_list():
    lines = ("Intranet checker: acme-check/\\d",)
    assert bots.bot_name("ACME-Check/2 (health)", lines) == "Intranet checker"
    # Only the given list applies.
    assert not bots.is_bot(BOTS["Googlebot"], lines)
    assert bots.is_bot("", lines)


def test_broken_lines_fall_back_to_the_defaults(caplog):
    # A list of its own: the warning comes once per distinct broken list.
    assert bots.is_bot("curl/8.5.0", ("Broken in a unit test: (unclosed",))
    assert "Invalid bot patterns" in caplog.text


def test_invalid_pattern_names_itself():
    with pytest.raises(re.error, match="Broken"):
        bots.compile_patterns([("Fine", "ok"), ("Broken", "(unclosed")])


def test_long_user_agents():
    # Not cached, still checked.
    padding = " x" * 1000
    assert bots.is_bot(BOTS["Googlebot"] + padding)
    assert not bots.is_bot(BROWSERS["Firefox"] + padding)


def test_lines_round_trip():
    lines = bots.format_lines(bots.DEFAULT_PATTERNS)
    assert lines[0] == "Googlebot: " + bots.DEFAULT_PATTERNS[0][1]
    assert bots.parse_lines(lines) == bots.DEFAULT_PATTERNS


def test_parse_lines():
    assert bots.parse_lines(["  A: x(?:y)  ", "", "B:z"]) == (
        ("A", "x(?:y)"),
        ("B", "z"),
    )
    for bad in (["no colon"], [": no name"], ["No pattern:"]):
        with pytest.raises(ValueError):
            bots.parse_lines(bad)
