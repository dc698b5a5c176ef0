"""Test support: layers, a throwaway PostgreSQL, the storage contract.

The add-on itself never imports this package (a test checks it). Modules:
``layers`` (Plone test layers), ``cluster`` (a PostgreSQL cluster per run),
``localpg`` (server tools, also for ``make start``), ``contract`` (what every
IClickStorage must do).
"""

# Headless Chromium says "HeadlessChrome", which the add-on rightly treats as
# automation; browser tests, benchmarks and the demo's walk-throughs send the
# User-Agent of an ordinary desktop browser instead.
DESKTOP_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)
