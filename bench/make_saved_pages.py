# ruff: noqa: E501  (the pages are HTML templates: their lines are the pages' own)
"""Write the saved-page set (tests/data/pages/): news articles in the page layouts newsrooms save, each with
the boilerplate real pages carry (navigation, cookie banners, teasers of other stories, share buttons,
newsletter boxes, comments, footers), and truth.json: each page's article text and the metadata it states.

The twelve layouts differ in how they mark the article and its metadata (WordPress classes, JSON-LD,
OpenGraph, microdata, Dublin Core, a table layout, no markup at all); the extractor knows none of them.

    python bench/make_saved_pages.py [--out tests/data/pages]
"""

from __future__ import annotations

import argparse
import html
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ARTICLES = [
    {
        "slug": "bergen-harbour",
        "title": "Bergen votes to rebuild its storm-damaged harbour",
        "authors": ["Kari Nordmann"],
        "date": "2025-02-14",
        "site": "Vestland Post",
        "lang": "en",
        "body": [
            "Bergen's city council voted on Thursday to rebuild the harbour wall that January's storm tore open, "
            "approving a budget of 1.2 billion kroner after a debate that lasted past midnight.",
            "The storm, the strongest to reach the west coast in thirty years, flooded the fish market and left two "
            "ferry berths unusable for three weeks.",
            'Council leader Marte Solheim said the new wall would be a metre higher than the old one. "We are '
            'building for the storms of the next fifty years, not the last fifty," she told reporters.',
            "Opposition members argued that the money should first go to homes in Sandviken that were flooded. The "
            "motion passed by 41 votes to 26.",
            "Work is due to start in May and to finish before the winter of 2027. The ferry company Fjord Line said "
            "it would move two routes to Hanøytangen while the work goes on.",
        ],
    },
    {
        "slug": "rail-strike",
        "title": "Rail strike halts trains across the Netherlands",
        "authors": ["Pieter de Vries", "Anouk Janssen"],
        "date": "2025-03-03",
        "site": "Lowlands Herald",
        "lang": "en",
        "body": [
            "No trains ran in most of the Netherlands on Monday as rail workers walked out for 24 hours in a dispute "
            "over pay and working hours.",
            "The union VVMC said more than 9,000 staff had joined the strike, the first national rail stoppage since "
            "2022. Commuters crowded onto buses and roads around Amsterdam and Utrecht were jammed by seven o'clock.",
            "The rail operator NS called the strike irresponsible and said it had offered a rise of 4.5 percent. The "
            "union wants 7 percent and a limit on weekend shifts.",
            "Talks are due to resume on Wednesday. The union warned that a second, 48-hour strike could follow later "
            "this month if no agreement is reached.",
        ],
    },
    {
        "slug": "vaccine-trial",
        "title": "Malaria vaccine trial shows strong protection in children",
        "authors": ["Grace Achieng"],
        "date": "2024-11-20",
        "site": "The Nairobi Observer",
        "lang": "en",
        "body": [
            "A malaria vaccine tested on 4,800 children in Kenya and Burkina Faso cut cases by 77 percent over two "
            "years, researchers reported on Wednesday.",
            "The trial, led by the Kenya Medical Research Institute, gave children under five three doses and a "
            "booster a year later. Side effects were mild, mostly fever and soreness.",
            "Dr Samuel Otieno, who led the Kenyan arm of the study, said the results were the best yet for any "
            'malaria vaccine. "This could save tens of thousands of lives every year," he said.',
            "The World Health Organization is expected to review the data early next year. The manufacturer says it "
            "can produce 100 million doses a year by 2027.",
            "Malaria killed more than 600,000 people in 2023, most of them young children in Africa.",
        ],
    },
    {
        "slug": "library-fire",
        "title": "Fire destroys historic library in Coimbra",
        "authors": [],
        "date": "2024-08-09",
        "site": "",
        "lang": "en",
        "body": [
            "A fire swept through the old municipal library in Coimbra overnight, destroying much of a collection "
            "that included manuscripts from the sixteenth century.",
            "Firefighters were called shortly after two in the morning and needed four hours to bring the blaze "
            "under control. Nobody was hurt.",
            "The city's head of culture, Rui Marques, said about a third of the 40,000 volumes had been saved, many "
            "of them carried out by volunteers who formed a human chain.",
            "Police said the cause was not yet known. The building had been due for a renovation that was postponed "
            "last year for lack of funds.",
        ],
    },
    {
        "slug": "wind-farm",
        "title": "Offshore wind farm off Scotland starts supplying power",
        "authors": ["Iain MacLeod"],
        "date": "2025-01-27",
        "site": "Highland Courier",
        "lang": "en",
        "body": [
            "The first turbines of the Moray West wind farm began sending electricity to the grid on Monday, the "
            "developer said.",
            "When complete, the 60 turbines off the coast of Caithness will be able to power about 1.3 million homes. "
            "The project cost around 2.5 billion pounds.",
            "Scotland's energy secretary said the farm showed that the country could become a net exporter of clean "
            "power within a decade.",
            "Fishermen in Wick have complained that the cables disturbed crab grounds. The developer said it had "
            "paid compensation to 14 boats and would monitor the seabed for five years.",
        ],
    },
    {
        "slug": "museum-heist",
        "title": "Thieves take gold coins from Vienna museum in night raid",
        "authors": ["Lena Huber"],
        "date": "2024-12-02",
        "site": "Danube Daily",
        "lang": "en",
        "body": [
            "Thieves broke into a Vienna museum early on Sunday and escaped with a collection of Roman gold coins "
            "worth an estimated three million euros.",
            "Police said the burglars cut through a skylight and disabled an alarm in the coin room. The raid took "
            "less than ten minutes.",
            "The museum's director, Johanna Berger, said the 212 coins had been found near Carnuntum in 1976 and "
            "were among the best preserved in Europe.",
            "Investigators are studying camera footage from nearby streets and have asked dealers across Europe to "
            "watch for the coins.",
        ],
    },
    {
        "slug": "drought-spain",
        "title": "Catalonia eases water limits as reservoirs refill",
        "authors": ["Marta Puig"],
        "date": "2025-04-10",
        "site": "Iberia Today",
        "lang": "en",
        "body": [
            "Catalonia lifted the strictest of its drought rules on Thursday after weeks of spring rain pushed the "
            "region's reservoirs above 40 percent for the first time in three years.",
            "Farmers may again irrigate at 60 percent of normal levels, and towns around Barcelona no longer face a "
            "daily limit of 200 litres per person.",
            "The regional government warned that the drought was not over. Its climate minister said the reservoirs "
            "would need two more wet winters to recover fully.",
            "A desalination plant planned for the coast north of Barcelona will still be built, the government said.",
        ],
    },
    {
        "slug": "chess-prodigy",
        "title": "Twelve-year-old becomes youngest grandmaster in Indian history",
        "authors": ["Arjun Mehta"],
        "date": "2025-05-06",
        "site": "Deccan Review",
        "lang": "en",
        "body": [
            "A twelve-year-old from Chennai became India's youngest chess grandmaster on Tuesday after securing his "
            "final norm at a tournament in Budapest.",
            "Ravi Subramanian reached the title at 12 years, 4 months and 11 days, beating the Indian record by "
            "three weeks.",
            "His coach said Ravi trained for six hours a day and studied games by Capablanca on the bus to school.",
            "The boy's next goal is the world junior championship, which he will play in August.",
        ],
    },
    {
        "slug": "bridge-collapse",
        "title": "Footbridge collapse injures eleven in Lyon",
        "authors": ["Claire Dubois"],
        "date": "2024-10-15",
        "site": "Rhône Matin",
        "lang": "en",
        "body": [
            "Eleven people were injured when a footbridge over the Saône collapsed in Lyon on Monday evening as "
            "crowds left a concert.",
            "Two of the injured were in a serious condition, the city's fire service said. The others were treated "
            "for cuts and bruises.",
            "The bridge had passed an inspection in March. The mayor ordered all six footbridges of the same design "
            "closed while engineers check them.",
            "Prosecutors have opened an inquiry into the collapse.",
        ],
    },
    {
        "slug": "airport-expansion",
        "title": "Court blocks third runway at Lisbon airport",
        "authors": ["Tiago Ferreira"],
        "date": "2025-06-18",
        "site": "Atlantic Wire",
        "lang": "en",
        "body": [
            "Portugal's supreme administrative court blocked plans for a third runway at Lisbon's Humberto Delgado "
            "airport on Wednesday, ruling that the environmental study was incomplete.",
            "The judges said the study had ignored noise for 80,000 residents of Loures and the effect on birds in "
            "the Tagus estuary.",
            "The airport operator said it would appeal. The government, which plans a new airport at Alcochete by "
            "2034, said the ruling did not change its long-term plans.",
            "Residents' groups, who brought the case, called the ruling a victory for common sense.",
        ],
    },
    {
        "slug": "hochwasser-passau",
        "title": "Hochwasser in Passau: Altstadt wird evakuiert",
        "authors": ["Thomas Weber"],
        "date": "2024-06-03",
        "site": "Donaukurier Online",
        "lang": "de",
        "body": [
            "In Passau ist die Donau am Montag auf mehr als zehn Meter gestiegen. Die Stadt hat die Bewohner der "
            "Altstadt aufgefordert, ihre Wohnungen zu verlassen.",
            "Nach Angaben der Feuerwehr sind rund 1.500 Menschen betroffen. Notunterkünfte wurden in zwei Schulen "
            "eingerichtet.",
            "Oberbürgermeister Jürgen Dupper sagte, der Höchststand werde für Dienstagmorgen erwartet. Die "
            "Bundeswehr hilft beim Füllen von Sandsäcken.",
            "Auch in Regensburg und Deggendorf wurden Straßen gesperrt.",
        ],
    },
    {
        "slug": "greve-transports",
        "title": "Grève des transports : Marseille paralysée",
        "authors": ["Sophie Martin"],
        "date": "2025-01-21",
        "site": "Le Courrier du Sud",
        "lang": "fr",
        "body": [
            "Aucun bus ni tramway n'a circulé mardi à Marseille, où les agents de la régie des transports ont "
            "entamé une grève de deux jours.",
            "Les syndicats réclament des embauches et une prime pour le travail de nuit. La direction affirme avoir "
            "proposé une hausse de 3 pour cent.",
            "De longues files d'attente se sont formées aux stations de taxis, et le trafic était dense sur "
            "l'autoroute du Littoral dès six heures.",
            "Une nouvelle réunion est prévue jeudi à la préfecture.",
        ],
    },
]

TEASERS = [
    "Ten things to do this weekend",
    "Opinion: Why the budget gets it wrong",
    "Watch: The moment a whale surfaced beside a ferry",
    "Quiz: How well do you know the week's news?",
    "House prices rise for a fifth month",
    "Local team reaches cup semi-final after penalty drama",
]
COOKIE = (
    "We care about your privacy. We and our 842 partners use cookies and similar technologies to store and access "
    "information on your device, to show you personalised ads and content, to measure ads and content, and to "
    "develop our products. You can accept all cookies, reject them, or choose your preferences at any time."
)
COMMENTS = [
    ("Olav", "Finally some good news. It has taken them long enough."),
    ("watcher77", "Who is going to pay for all of this? Not the politicians, that is for sure."),
    ("M. Keller", "I was there last week and saw it myself. The article is spot on."),
    ("anon", "First!"),
]
NAV = ["Home", "News", "World", "Business", "Sport", "Culture", "Opinion", "Weather"]


def e(s: str) -> str:
    return html.escape(s, quote=True)


def nav_ul() -> str:
    return "<ul>" + "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in NAV) + "</ul>"


def teaser_list(cls: str = "related") -> str:
    items = "".join(f'<li><a href="/story/{i}">{e(t)}</a></li>' for i, t in enumerate(TEASERS))
    return f'<aside class="{cls}"><h2>Related stories</h2><ul>{items}</ul></aside>'


def comments_block() -> str:
    cs = "".join(
        f'<li class="comment"><span class="comment-author">{e(a)}</span><p>{e(t)}</p><a href="#">Reply</a></li>'
        for a, t in COMMENTS
    )
    return f'<section id="comments"><h3>{len(COMMENTS)} comments</h3><ol class="commentlist">{cs}</ol></section>'


def paras(a: dict) -> str:
    return "".join(f"<p>{e(p)}</p>" for p in a["body"])


def url(a: dict) -> str:
    host = a["site"].lower().replace(" ", "") or "news-site"
    return f"https://www.{host}.example/{a['date'][:4]}/{a['slug']}"


def wordpress(a: dict) -> str:
    return f"""<!DOCTYPE html><html lang="{a["lang"]}"><head><meta charset="utf-8">
<title>{e(a["title"])} – {e(a["site"])}</title><meta name="generator" content="WordPress 6.5">
<link rel="canonical" href="{url(a)}"></head><body class="single-post">
<header id="masthead"><div class="site-title"><a href="/">{e(a["site"])}</a></div><nav id="site-navigation">{nav_ul()}</nav></header>
<div id="content"><main id="main"><article class="post type-post">
<header class="entry-header"><h1 class="entry-title">{e(a["title"])}</h1>
<div class="entry-meta">Posted on <time class="entry-date published" datetime="{a["date"]}T09:12:00+01:00">{a["date"]}</time>
by <span class="author vcard"><a class="url fn n" href="/author/x">{e(a["authors"][0])}</a></span></div></header>
<div class="entry-content">{paras(a)}</div>
<footer class="entry-footer"><span class="cat-links">Posted in <a href="/news">News</a></span>
<div class="sharedaddy"><h3>Share this:</h3><a>Facebook</a> <a>X</a> <a>Email</a></div></footer></article>
{comments_block()}</main>
<aside id="secondary" class="widget-area"><section class="widget"><h2>Recent Posts</h2>
<ul>{"".join(f"<li><a>{e(t)}</a></li>" for t in TEASERS[:4])}</ul></section>
<section class="widget"><h2>Newsletter</h2><p>Get the best stories in your inbox every morning.</p></section></aside></div>
<footer id="colophon"><p>© 2025 {e(a["site"])}. Proudly powered by WordPress.</p></footer></body></html>"""


def jsonld(a: dict) -> str:
    ld = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": a["title"],
        "datePublished": f"{a['date']}T06:30:00Z", "dateModified": f"{a['date']}T11:00:00Z",
        "author": [{"@type": "Person", "name": n} for n in a["authors"]],
        "publisher": {"@type": "Organization", "name": a["site"]}, "mainEntityOfPage": url(a),
    }  # fmt: skip
    return f"""<!DOCTYPE html><html lang="{a["lang"]}"><head><meta charset="utf-8"><title>{e(a["title"])} | {e(a["site"])}</title>
<script type="application/ld+json">{json.dumps(ld)}</script><link rel="canonical" href="{url(a)}"></head><body>
<div id="cookie-consent" class="cmp-banner"><p>{COOKIE}</p><button>Accept all</button><button>Reject all</button><button>Manage preferences</button></div>
<header><a class="logo" href="/">{e(a["site"])}</a><nav>{nav_ul()}</nav><a href="/subscribe">Subscribe from 1 euro</a></header>
<main><article><h1>{e(a["title"])}</h1>
<div class="byline">By {" and ".join(e(n) for n in a["authors"])}</div>
<div class="article-body">{paras(a)}</div>
<div class="share-tools"><button>Share</button><button>Copy link</button><button>Save</button></div></article>
<section class="newsletter"><h2>Morning Briefing</h2><p>Start your day with the five stories you need to know. Sign up now, it is free.</p><input placeholder="Email"></section>
{teaser_list("more-stories")}</main>
<footer><p>About us · Contact · Careers · Privacy policy · Cookie settings</p><p>© {e(a["site"])} Media Group</p></footer></body></html>"""


def opengraph(a: dict) -> str:
    return f"""<!DOCTYPE html><html lang="{a["lang"]}"><head><meta charset="utf-8"><title>{e(a["title"])}</title>
<meta property="og:title" content="{e(a["title"])}"><meta property="og:site_name" content="{e(a["site"])}">
<meta property="og:type" content="article"><meta property="og:url" content="{url(a)}">
<meta property="article:published_time" content="{a["date"]}T14:05:00+00:00"><meta name="author" content="{e(", ".join(a["authors"]))}">
</head><body><div class="top-bar"><a>Log in</a> <a>Register</a> <span>Today's paper</span></div><nav class="main-nav">{nav_ul()}</nav>
<div class="breaking">Breaking: Markets fall on rate fears</div>
<main><div class="story"><h1 class="story-headline">{e(a["title"])}</h1><p class="story-byline">{e(", ".join(a["authors"]))}</p>
<div class="story-body">{paras(a)}</div></div>
<div class="social"><a>Share on Facebook</a><a>Share on X</a><a>Share on WhatsApp</a></div>
<div class="most-read"><h2>Most read</h2><ol>{"".join(f"<li>{e(t)}</li>" for t in TEASERS)}</ol></div>
<div id="disqus_thread"><h3>Join the discussion</h3>{comments_block()}</div></main>
<footer class="site-footer"><ul><li>Terms</li><li>Privacy</li><li>Advertise with us</li></ul></footer></body></html>"""


def divsoup(a: dict) -> str:
    return f"""<html><head><title>{e(a["title"])}</title></head><body>
<div class="hdr"><div class="menu">{"".join(f'<div class="mi"><a>{n}</a></div>' for n in NAV)}</div></div>
<div class="row"><div class="col-md-8 content-area"><div class="ttl"><b>{e(a["title"])}</b></div>
<div class="meta">Published {a["date"]}</div>
{"".join(f'<div class="txt">{e(p)}</div>' for p in a["body"])}
<div class="tags">Tags: fire, library, culture</div></div>
<div class="col-md-4 sidebar"><div class="box"><div class="boxttl">Popular now</div>{"".join(f"<div><a>{e(t)}</a></div>" for t in TEASERS[:5])}</div>
<div class="box"><div class="boxttl">Advertisement</div><div>Your ad here. Call 555-0100.</div></div></div></div>
<div class="ftr">Contact | Imprint | Privacy</div></body></html>"""


def table_layout(a: dict) -> str:
    return f"""<html><head><title>{e(a["site"])} - {e(a["title"])}</title><meta name="author" content="{e(a["authors"][0])}"></head>
<body><table width="100%"><tr><td colspan="2" class="banner">{e(a["site"])} — your regional news since 1998</td></tr>
<tr><td class="leftnav" width="160">{"<br>".join(f"<a>{n}</a>" for n in NAV)}</td>
<td class="main"><h2>{e(a["title"])}</h2><p><i>Published: {a["date"]} | By {e(a["authors"][0])}</i></p>{paras(a)}
<p><a href="/print">Print this article</a> | <a href="/mail">Email to a friend</a></p>
<hr><p><b>See also:</b></p><ul>{"".join(f"<li><a>{e(t)}</a></li>" for t in TEASERS[:3])}</ul></td></tr>
<tr><td colspan="2" class="footer">Copyright {a["date"][:4]} {e(a["site"])}. Webmaster: webmaster@example.org</td></tr></table></body></html>"""


def amp(a: dict) -> str:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": a["title"], "datePublished": a["date"],
          "author": {"@type": "Person", "name": a["authors"][0]}, "publisher": {"@type": "Organization", "name": a["site"]}}  # fmt: skip
    body = a["body"]
    inline = '<p class="read-more"><strong>Read more:</strong> <a href="/x">Museum security under review after string of thefts</a></p>'
    return f"""<!doctype html><html amp lang="{a["lang"]}"><head><meta charset="utf-8"><title>{e(a["title"])}</title>
<link rel="canonical" href="{url(a)}"><script type="application/ld+json">{json.dumps(ld)}</script></head><body>
<header class="amp-header"><amp-img src="/logo.png" alt="{e(a["site"])}"></amp-img><button>Menu</button></header>
<amp-sidebar id="sidebar">{nav_ul()}</amp-sidebar>
<article class="amp-article"><h1>{e(a["title"])}</h1><address>By {e(a["authors"][0])}</address>
<p>{e(body[0])}</p><p>{e(body[1])}</p>{inline}{"".join(f"<p>{e(p)}</p>" for p in body[2:])}</article>
<amp-ad width="300" height="250" type="doubleclick"><div>Advertisement</div></amp-ad>
{teaser_list()}<footer><p>© {e(a["site"])}</p></footer></body></html>"""


def cookie_wall(a: dict) -> str:
    return f"""<!DOCTYPE html><html lang="{a["lang"]}"><head><title>{e(a["title"])} - {e(a["site"])}</title>
<meta name="author" content="{e(a["authors"][0])}"><meta name="date" content="{a["date"]}">
<meta property="og:site_name" content="{e(a["site"])}"></head><body>
<div class="consent-overlay" role="dialog"><h2>Your privacy choices</h2><p>{COOKIE}</p>
<p>Some partners process your data on the basis of legitimate interest, which you can object to. Your choices apply to this site only and you can change them at any time in our privacy centre.</p>
<ul><li>Store and access information on a device</li><li>Personalised advertising</li><li>Audience measurement</li></ul>
<button>Agree and close</button><button>Learn more</button></div>
<header><nav>{nav_ul()}</nav></header><div class="article-wrapper"><article><header><h1>{e(a["title"])}</h1>
<p class="author">By {e(a["authors"][0])}</p><p class="date">{a["date"]}</p></header>
<section class="content">{paras(a)}</section></article></div>{teaser_list()}
<footer>{e(a["site"])} · All rights reserved · Sitemap</footer></body></html>"""


def figures(a: dict) -> str:
    body = a["body"]
    return f"""<!DOCTYPE html><html lang="{a["lang"]}"><head><title>{e(a["title"])} | {e(a["site"])}</title>
<meta property="article:published_time" content="{a["date"]}"><meta name="author" content="{e(a["authors"][0])}">
<meta property="og:site_name" content="{e(a["site"])}"></head><body><nav>{nav_ul()}</nav>
<main><article><h1>{e(a["title"])}</h1><div class="byline">{e(a["authors"][0])}, Chief Reporter</div>
<figure><img src="/img/1.jpg" alt=""><figcaption>Photo: Agency. All rights reserved.</figcaption></figure>
<p>{e(body[0])}</p><div class="ad-slot">Advertisement</div><p>{e(body[1])}</p>
<div class="newsletter-inline">Sign up for our daily newsletter and never miss a story.</div>
{"".join(f"<p>{e(p)}</p>" for p in body[2:])}
<div class="article-tags"><a>Chess</a> <a>India</a> <a>Sport</a></div></article>
<section class="recommended"><h2>You may also like</h2>{"".join(f'<div class="card"><h3>{e(t)}</h3></div>' for t in TEASERS)}</section></main>
<footer><p>Download our app · Follow us on social media · Contact the newsroom</p></footer></body></html>"""


def comment_heavy(a: dict) -> str:
    many = "".join(
        f'<div class="comment"><div class="who">{e(n)} · {i + 1} hours ago</div><div class="says">{e(t)}</div><div class="votes">▲ {7 * i} ▼ {i}</div></div>'
        for i, (n, t) in enumerate(COMMENTS * 4)
    )
    return f"""<!DOCTYPE html><html lang="{a["lang"]}"><head><title>{e(a["title"])}</title>
<meta property="og:site_name" content="{e(a["site"])}"><meta property="article:published_time" content="{a["date"]}T07:00:00Z">
<meta name="author" content="{e(a["authors"][0])}"></head><body><header>{nav_ul()}</header>
<article><h1>{e(a["title"])}</h1><p class="byline">{e(a["authors"][0])}</p>{paras(a)}</article>
<section class="comments"><h2>Comments ({len(COMMENTS) * 4})</h2>{many}<button>Load more comments</button></section>
{teaser_list()}<footer>Terms of use · Community guidelines</footer></body></html>"""


def microdata(a: dict) -> str:
    return f"""<!DOCTYPE html><html lang="{a["lang"]}"><head><title>{e(a["title"])} - {e(a["site"])}</title></head><body>
<div class="masthead"><span class="brand">{e(a["site"])}</span>{nav_ul()}</div>
<ol class="breadcrumb"><li>Home</li><li>News</li><li>Europe</li></ol>
<div itemscope itemtype="https://schema.org/NewsArticle"><h1 itemprop="headline">{e(a["title"])}</h1>
<div>By <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">{e(a["authors"][0])}</span></span>
· <time itemprop="datePublished" datetime="{a["date"]}">{a["date"]}</time></div>
<span itemprop="publisher" itemscope itemtype="https://schema.org/Organization"><meta itemprop="name" content="{e(a["site"])}"></span>
<div itemprop="articleBody">{paras(a)}</div></div>
<div class="tag-list">Topics: Portugal · Aviation · Environment</div>{teaser_list()}
<footer>{e(a["site"])} · Editorial standards · Corrections</footer></body></html>"""


def dublin_core(a: dict) -> str:
    return f"""<!DOCTYPE html><html lang="{a["lang"]}"><head><meta charset="utf-8"><title>{e(a["title"])} | {e(a["site"])}</title>
<meta name="DC.creator" content="{e(a["authors"][0])}"><meta name="DC.date.issued" content="{a["date"]}">
<meta property="og:site_name" content="{e(a["site"])}"></head><body>
<div class="cookie-hinweis">Wir verwenden Cookies, um Inhalte und Anzeigen zu personalisieren und die Zugriffe auf unsere Website zu analysieren. <button>Alle akzeptieren</button></div>
<nav>{"".join(f"<a>{n}</a> " for n in ["Startseite", "Politik", "Wirtschaft", "Sport", "Kultur"])}</nav>
<main><article><h1>{e(a["title"])}</h1><p class="autor">Von {e(a["authors"][0])}</p>{paras(a)}</article>
<aside><h2>Das könnte Sie auch interessieren</h2><ul><li>Bahnstreik: Was Pendler jetzt wissen müssen</li><li>Wetter: Unwetterwarnung für Bayern</li><li>Die besten Biergärten der Region</li></ul></aside></main>
<footer>Impressum · Datenschutz · Kontakt</footer></body></html>"""


def french(a: dict) -> str:
    return f"""<!DOCTYPE html><html lang="{a["lang"]}"><head><meta charset="utf-8"><title>{e(a["title"])} - {e(a["site"])}</title>
<meta property="og:site_name" content="{e(a["site"])}"><meta property="article:published_time" content="{a["date"]}T08:00:00+01:00">
<meta name="author" content="{e(a["authors"][0])}"></head><body>
<div id="didomi-notice"><p>Nous utilisons des cookies pour vous offrir la meilleure expérience sur notre site et mesurer l'audience.</p><button>Accepter</button><button>Refuser</button></div>
<nav>{"".join(f"<a>{n}</a> " for n in ["Accueil", "Actualités", "Sports", "Culture", "Météo"])}</nav>
<article><h1>{e(a["title"])}</h1><div class="signature">Par {e(a["authors"][0])}</div>{paras(a)}
<div class="partage">Partager : Facebook · X · E-mail</div></article>
<section class="a-lire-aussi"><h2>À lire aussi</h2><ul><li>Les embouteillages record de l'hiver</li><li>Le nouveau tramway enfin en service</li><li>Horoscope du jour</li></ul></section>
<footer>Mentions légales · Nous contacter · Abonnement</footer></body></html>"""


LAYOUTS = [wordpress, jsonld, opengraph, divsoup, table_layout, amp, cookie_wall, figures, comment_heavy, microdata,
           dublin_core, french]  # fmt: skip


def write_set(articles: list[dict], layouts: list, out: Path) -> int:
    """Write each article in its layout to `out`, and truth.json: its text and the metadata the page states."""
    out.mkdir(parents=True, exist_ok=True)
    truth = {}
    for a, layout in zip(articles, layouts):
        name = f"{a['slug']}.html"
        page = layout(a)
        (out / name).write_text(page, encoding="utf-8")
        truth[name] = {
            "layout": layout.__name__,
            "title": a["title"],
            "authors": a["authors"],
            "date": a["date"],
            "site": a["site"],
            "language": a["lang"] if " lang=" in page[:200] else "",  # stated only by <html lang>
            "standfirst": a.get("standfirst", ""),
            "body": a["body"],
        }
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(truth)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "pages")
    args = ap.parse_args()
    print(f"wrote {write_set(ARTICLES, LAYOUTS, args.out)} pages and truth.json to {args.out}")


if __name__ == "__main__":
    main()
