"""The add-on's own bot patterns: plain data, ``(name, regular expression)``
pairs matched case-insensitively anywhere in the User-Agent.

``NAMED_PATTERNS`` are crawlers and tools worth a name of their own in the
reports; they are asked before the crawler list of ``crawlerlist``.
``GENERIC_PATTERNS`` are what automated clients say and real browsers do
not; they are asked last, so that a known crawler keeps its own name.
``bots`` puts the lists together.
"""

NAMED_PATTERNS = (
    # Search engines and their helpers.
    ("Googlebot", r"googlebot|google-inspectiontool|adsbot-google|mediapartners"),
    ("Google other", r"google-extended|googleother|storebot-google"),
    ("Bingbot", r"bingbot|bingpreview|msnbot|adidxbot"),
    ("Baidu", r"baiduspider"),
    ("Yandex", r"yandex(bot|images|metrika|mobilebot)"),
    ("DuckDuckGo", r"duckduckbot|duckduckgo-favicons-bot|duckassistbot"),
    ("Yahoo Slurp", r"slurp"),
    ("Applebot", r"applebot"),
    ("Seznam", r"seznambot"),
    ("Qwant", r"qwantify|qwantbot"),
    ("Sogou", r"sogou.*spider"),
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
    ("Blackboard SafeAssign", r"blackboard safeassign"),
    # AI crawlers and assistants.
    (
        "AI crawlers",
        r"gptbot|chatgpt-user|oai-searchbot|claudebot|claude-web|claude-user|"
        r"anthropic-ai|ccbot|perplexitybot|perplexity-user|amazonbot|cohere-ai",
    ),
    ("Bytespider", r"bytespider"),
    # Monitoring and page speed.
    ("Monitoring", r"uptimerobot|pingdom|statuscake|site24x7|nagios|zabbix"),
    ("Lighthouse", r"lighthouse|pagespeed|gtmetrix"),
    # Command line tools and HTTP libraries.
    ("curl", r"\bcurl/"),
    ("Wget", r"\bwget/"),
    ("Python", r"python-|python/|aiohttp|httpx/|urllib|httplib"),
    (
        "Other libraries",
        r"go-http-client|okhttp|libwww-perl|axios/|node-fetch|node\.js|undici|"
        r"fasthttp|guzzlehttp|reqwest/|hackney/|httpclient|http-client|"
        r"http_client|http client",
    ),
    ("Java", r"\bjava/\d"),
    ("PHP", r"\bphp/"),
    ("Other tools", r"httrack|postmanruntime|insomnia|webdav|aria2|kubectl"),
    # Headless and automated browsers.
    ("HeadlessChrome", r"headlesschrome"),
    ("PhantomJS", r"phantomjs"),
    ("Puppeteer", r"puppeteer"),
    ("Playwright", r"playwright"),
    ("Selenium", r"selenium|webdriver"),
    ("Cypress", r"cypress"),
)

GENERIC_PATTERNS = (
    # Cubot is a phone brand, and so are "M bot 60 Build/..." and "B BOT 50
    # Build/..." (Android's model names end with "Build/").
    ("Generic bot", r"bot(?<!cubot)(?! \d+ build/)(\b|_)"),
    ("Generic crawler", r"crawl|spider|scraper|scrapy"),
    ("Monitors and probes", r"monitor|probe|uptime"),
    (
        "Checkers and validators",
        r"checker|validator|linkcheck|link check|link preview|link expand|"
        r"link resolv|unfurl",
    ),
    ("Feed readers", r"feed|rssreader|rss reader"),
    (
        "Analysers and capture",
        r"analyzer|analyser|scanner|extractor|sitemap|screenshot|thumbnail|"
        r"archiver|snapshot|wkhtmlto",
    ),
    ("Headless browsers", r"headless"),
    # Browsers carry no address; crawlers point to their About page.
    ("URL in User-Agent", r"http://|https://|www\."),
    ("E-mail address in User-Agent", r"@[\w-]+\.[a-z]{2,}"),
    # Only "name/version", as tools send it; browsers add their platform.
    (
        "Tool or library",
        r"^(?!mozilla/|opera/|chrome/|safari/|apple-)[a-z][\w.-]*/v?\d[\w.-]*$",
    ),
)
