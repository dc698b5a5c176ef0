"""Bot recognition (issue 13): how many crawlers, how few browsers, how fast.

Public corpora, fetched now into a scratch directory (none is committed):

- crawlers: the example User-Agents of ``crawler-user-agents`` (its
  "instances", from the installed package, whose patterns the new code
  uses: it must find all of them), and the crawler fixtures of the PyPI
  package ``crawlerdetect`` (a port of CrawlerDetect, MIT; a list the new
  code does not use, though its generic patterns were chosen looking at it);
- real browsers: all of ``browsers.jsonl`` of the ``fake-useragent`` wheel
  (Apache-2.0), and the device fixtures of ``crawlerdetect``, which also
  hold old phones, apps' HTTP clients and some junk.

Side by side: the old built-in list (profile 1006's defaults, frozen in
``upgrades.bots``), the new ``bots.is_bot``, and the npm package ``isbot``
(its own function, run by node) when npm and node are there. Then the cost
of one ``is_bot`` that misses the cache, old and new. Nothing is asserted.
"""

from pathlib import Path
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from slc.clicktracker import bots  # noqa: E402
from slc.clicktracker import crawlerlist  # noqa: E402
from slc.clicktracker.upgrades.bots import OLD_DEFAULT_LINES  # noqa: E402


FAKE_USERAGENT = "fake-useragent==2.2.0"
CRAWLERDETECT = "crawlerdetect==0.4.2"
ISBOT = "isbot@5.2.3"
ROUNDS = 5
GOAL_RECALL = "goal >= 99 %"
GOAL_FP = "goal <= 0.1 %"
ISBOT_SCRIPT = """
const { isbot } = require(process.argv[1]);
const lines = require("fs").readFileSync(0, "utf8").split("\\n");
lines.pop();
process.stdout.write(lines.map((l) => (isbot(JSON.parse(l)) ? "1" : "0")).join(""));
"""


def pip_download(spec, into, *options):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", into]
        + [*options, spec],
        check=True,
        capture_output=True,
    )
    return next(Path(into).glob(spec.split("==")[0].replace("-", "_") + "-*"))


def fake_useragent_browsers(scratch):
    wheel = pip_download(FAKE_USERAGENT, scratch, "--only-binary", ":all:")
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read("fake_useragent/data/browsers.jsonl").decode("utf-8")
    return [json.loads(line)["useragent"] for line in text.splitlines() if line]


def crawlerdetect_fixtures(scratch):
    sdist = pip_download(CRAWLERDETECT, scratch, "--no-binary", ":all:")
    found = {}
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            if "/tests/fixtures/user_agent/" in member.name:
                text = archive.extractfile(member).read().decode("utf-8")
                found[Path(member.name).stem] = [
                    line.strip() for line in text.splitlines() if line.strip()
                ]
    return found["crawlers"], found["devices"]


def corpora(scratch):
    """(label, User-Agents, True for crawlers, note) of each corpus that
    could be had."""
    found = [
        ("crawler-user-agents instances", crawlerlist.instances(), True, GOAL_RECALL)
    ]
    try:
        crawlers, devices = crawlerdetect_fixtures(scratch)
        found.append(("crawlerdetect crawlers.txt", crawlers, True, "another list"))
    except (subprocess.CalledProcessError, KeyError, StopIteration) as error:
        print(f"crawlerdetect fixtures unavailable ({error}); skipped")
        devices = None
    try:
        browsers = fake_useragent_browsers(scratch)
        found.append(("fake-useragent browsers.jsonl", browsers, False, GOAL_FP))
    except (subprocess.CalledProcessError, KeyError, StopIteration) as error:
        print(f"fake-useragent unavailable ({error}); skipped")
    if devices:
        found.append(("crawlerdetect devices.txt", devices, False, "also old, odd"))
    return found


def isbot_function(scratch):
    """isbot over a list of User-Agents (run by node), or None without it."""
    if not (shutil.which("npm") and shutil.which("node")):
        print("npm or node missing: no isbot column")
        return None
    try:
        subprocess.run(
            ["npm", "pack", ISBOT, "--silent", "--pack-destination", scratch],
            check=True,
            capture_output=True,
        )
        with tarfile.open(next(Path(scratch).glob("isbot-*.tgz"))) as archive:
            archive.extractall(Path(scratch) / "isbot", filter="data")
    except (subprocess.CalledProcessError, StopIteration) as error:
        print(f"isbot unavailable ({error}): no isbot column")
        return None
    module = str(Path(scratch) / "isbot" / "package" / "index.js")

    def isbot(uas):
        out = subprocess.run(
            ["node", "-e", ISBOT_SCRIPT, module],
            input="".join(json.dumps(ua) + "\n" for ua in uas),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [flag == "1" for flag in out]

    return isbot


def old_is_bot():
    """The old is_bot with the old defaults: each pattern in turn."""
    compiled = bots.compile_patterns(bots.parse_lines(OLD_DEFAULT_LINES))

    def is_bot(ua):
        if not ua or not ua.strip():
            return True
        return any(regex.search(ua) for _name, regex in compiled)

    return is_bot


def new_is_bot(ua):
    # is_bot without its cache, which every distinct User-Agent misses once.
    if not ua or not ua.strip():
        return True
    return bots._is_bot(None, None, ua)


def rate(flags):
    return 100 * sum(flags) / len(flags) if flags else float("nan")


def recognition(found, old, isbot):
    print()
    print("Recognised as bots (crawlers: recall, higher is better; browsers:")
    print("false positives, lower is better)")
    print(f"  {'corpus':<31} {'UAs':>7}  {'old':>8} {'new':>8} {'isbot':>8}")
    for label, uas, crawlers, note in found:
        figures = [rate([old(ua) for ua in uas]), rate([new_is_bot(ua) for ua in uas])]
        figures.append(rate(isbot(uas)) if isbot else float("nan"))
        cells = " ".join(f"{figure:>7.2f}%" for figure in figures)
        print(f"  {label:<31} {len(uas):>7,}  {cells}   {note}")
        if not crawlers:
            names = {}
            for ua in uas:
                if new_is_bot(ua):
                    name = bots.bot_name(ua)
                    names[name] = names.get(name, 0) + 1
            top = sorted(names.items(), key=lambda item: -item[1])[:6]
            print(f"    new, by name: {', '.join(f'{n} {c}' for n, c in top) or '-'}")


def per_user_agent(function, uas):
    start = time.perf_counter()
    for ua in uas:
        function(ua)
    return (time.perf_counter() - start) / len(uas) * 1e6


def cost(found, old):
    print()
    print(f"Cost of one is_bot that misses the cache (µs, median of {ROUNDS} rounds)")
    print(f"  {'corpus':<31} {'old':>8} {'new':>8} {'new/old':>8}")
    for label, uas, _crawlers, _note in found:
        uas = list(dict.fromkeys(uas))[:20000]
        old_times, new_times = [], []
        for _round in range(ROUNDS):  # alternating, to spread machine noise
            old_times.append(per_user_agent(old, uas))
            new_times.append(per_user_agent(new_is_bot, uas))
        o, n = statistics.median(old_times), statistics.median(new_times)
        print(f"  {label:<31} {o:>8.1f} {n:>8.1f} {n / o:>8.2f}")
    # Why not the package's own function: it tries its patterns in chunks.
    import crawleruseragents

    browsers = list(dict.fromkeys(found[-1][1]))[:20000]
    own = per_user_agent(crawleruseragents.is_crawler, browsers)
    print(f"  (crawler-user-agents' own is_crawler on the last: {own:.1f} µs)")


def main():
    print(
        f"Built-in patterns: old {len(OLD_DEFAULT_LINES)}; new "
        f"{len(bots.NAMED_PATTERNS)} named + {len(bots.crawler_patterns())} of "
        f"crawler-user-agents + {len(bots.GENERIC_PATTERNS)} generic"
    )
    with tempfile.TemporaryDirectory(prefix="bench-bots-") as scratch:
        found = corpora(scratch)
        isbot = isbot_function(scratch)
        old = old_is_bot()
        recognition(found, old, isbot)
        cost(found, old)


if __name__ == "__main__":
    main()
