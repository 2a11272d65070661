# ruff: noqa: E501  (the pages are HTML templates: their lines are the pages' own)
"""Write a held-out saved-page set (tests/data/pages-heldout/): four more articles in four layouts written after
the extractor's clean-up rules were settled on tests/data/pages, and not used to tune them (Ghost, Drupal,
a news site with a "key points" box and a video teaser, a newsletter platform).

    python bench/make_heldout_pages.py [--out tests/data/pages-heldout]
    python -m bench.bench_extraction --pages tests/data/pages-heldout
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.make_saved_pages import COOKIE, NAV, TEASERS, e, nav_ul, paras, write_set

ROOT = Path(__file__).resolve().parent.parent

ARTICLES = [
    {
        "slug": "glacier-retreat",
        "title": "Swiss glaciers lost four percent of their ice this year",
        "authors": ["Nina Keller"],
        "date": "2024-10-01",
        "site": "Alpine Review",
        "lang": "en",
        "body": [
            "Switzerland's glaciers lost about four percent of their remaining volume in 2024, the country's glacier "
            "monitoring network said on Tuesday.",
            "A snowy winter had raised hopes of a better year, but a hot August and Saharan dust that darkened the "
            "snow sped up the melting.",
            "Since 2014 the glaciers have shrunk by a quarter, the scientists said. Several small glaciers in the "
            "canton of Glarus have disappeared entirely.",
            "The network measures about 20 glaciers in detail and estimates the rest from satellite images.",
        ],
    },
    {
        "slug": "tram-line",
        "title": "New tram line opens in Aarhus after five years of works",
        "authors": ["Mads Jensen"],
        "date": "2025-02-20",
        "site": "Jutland Post",
        "lang": "en",
        "body": [
            "Aarhus opened its second tram line on Thursday, connecting the university hospital with the harbour "
            "in 22 minutes.",
            "The line cost 3.1 billion kroner, 400 million more than planned, after delays caused by old sewer pipes "
            "found under the city centre.",
            "The mayor said the trams would carry 30,000 passengers a day within a year. Bus route 2A will be cut "
            "when the timetable changes in March.",
        ],
    },
    {
        "slug": "heatwave-greece",
        "title": "Acropolis closes at midday as heatwave grips Greece",
        "authors": ["Eleni Papadopoulou"],
        "date": "2024-06-12",
        "site": "Aegean Times",
        "lang": "en",
        "body": [
            "The Acropolis in Athens was closed to visitors from noon to five in the afternoon on Wednesday as "
            "temperatures passed 43 degrees.",
            "The culture ministry said the closure protected visitors and staff. Tickets for the afternoon were "
            "refunded.",
            "Schools in several regions closed early, and the fire service warned of a very high risk of wildfires "
            "near Athens and on Evia.",
            "Meteorologists expect the heat to ease by the weekend.",
        ],
    },
    {
        "slug": "bookshop-revival",
        "title": "Why small bookshops are opening again in northern England",
        "authors": ["Hannah Brooks"],
        "date": "2025-03-28",
        "site": "The Northern Letter",
        "lang": "en",
        "standfirst": "Rents, coffee and a love of print",  # added after the first run: the page's subtitle
        "body": [
            "Forty-one independent bookshops opened in the north of England last year, more than in any year since "
            "2008, according to the Booksellers Association.",
            "Many are small, run by one or two people, and combine books with coffee, events and children's reading "
            "groups.",
            "Owners say rents in smaller towns have fallen as chain stores left the high street, making a shop "
            "affordable again.",
            "Sales of printed books have also held up better than expected, the association said.",
        ],
    },
]


def ghost(a: dict) -> str:
    return f"""<!DOCTYPE html><html lang="{a["lang"]}"><head><meta charset="utf-8"><title>{e(a["title"])}</title>
<meta property="og:site_name" content="{e(a["site"])}"><meta property="og:type" content="article">
<meta property="article:published_time" content="{a["date"]}T10:20:00.000Z"><meta name="generator" content="Ghost 5.80">
<script type="application/ld+json">{json.dumps({"@context": "https://schema.org", "@type": "Article", "author": {"@type": "Person", "name": a["authors"][0]}, "headline": a["title"], "datePublished": a["date"]})}</script>
</head><body class="post-template"><header class="gh-head"><a class="gh-head-logo">{e(a["site"])}</a><nav class="gh-head-menu">{nav_ul()}</nav><a class="gh-head-button">Subscribe</a></header>
<main class="gh-main"><article class="gh-article post"><header class="gh-article-header"><span class="gh-article-tag">Climate</span>
<h1 class="gh-article-title">{e(a["title"])}</h1><div class="gh-article-meta"><span class="gh-article-author-name">{e(a["authors"][0])}</span> <time datetime="{a["date"]}">{a["date"]}</time> · 3 min read</div></header>
<section class="gh-content gh-canvas">{paras(a)}</section></article>
<section class="gh-cta"><h2>Sign up for {e(a["site"])}</h2><p>Independent reporting from the mountains, every Friday.</p><a>Subscribe</a></section>
<aside class="gh-read-next"><h3>Read next</h3>{"".join(f'<article class="gh-card"><h4>{e(t)}</h4><p>3 min read</p></article>' for t in TEASERS[:3])}</aside></main>
<footer class="gh-foot">{e(a["site"])} © 2024 · Powered by Ghost</footer></body></html>"""


def drupal(a: dict) -> str:
    return f"""<!DOCTYPE html><html lang="{a["lang"]}" dir="ltr"><head><meta charset="utf-8"><title>{e(a["title"])} | {e(a["site"])}</title>
<meta name="Generator" content="Drupal 10"><meta property="og:site_name" content="{e(a["site"])}"><meta name="author" content="{e(a["authors"][0])}">
<meta property="article:published_time" content="{a["date"]}T12:00:00+0100"></head><body class="path-node page-node-type-article">
<a href="#main-content" class="visually-hidden focusable skip-link">Skip to main content</a>
<div class="dialog-off-canvas-main-canvas"><header role="banner"><div class="region region-header"><div class="site-branding">{e(a["site"])}</div></div>
<div class="region region-primary-menu"><nav role="navigation">{nav_ul()}</nav></div></header>
<div class="region region-highlighted"><div data-drupal-messages-fallback class="hidden"></div><div class="eu-cookie-compliance-banner"><p>{COOKIE}</p><button>OK, I agree</button><button>No, thanks</button></div></div>
<main role="main"><a id="main-content" tabindex="-1"></a><div class="layout-content"><div class="region region-content">
<article role="article" class="node node--type-article node--view-mode-full"><h1 class="page-title"><span class="field field--name-title">{e(a["title"])}</span></h1>
<div class="node__meta"><span class="field field--name-uid"><span>{e(a["authors"][0])}</span></span> <span class="field field--name-created">{a["date"]}</span></div>
<div class="node__content"><div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item">{paras(a)}</div>
<div class="field field--name-field-tags field--type-entity-reference field--label-above"><div class="field__label">Tags</div><div class="field__items"><div class="field__item"><a>Transport</a></div><div class="field__item"><a>Aarhus</a></div></div></div></div></article>
</div></div><aside class="layout-sidebar-second" role="complementary"><div class="block"><h2>Most read</h2><div class="item-list"><ul>{"".join(f"<li><a>{e(t)}</a></li>" for t in TEASERS[:4])}</ul></div></div></aside></main>
<footer role="contentinfo"><div class="region region-footer">Contact · Accessibility · Privacy</div></footer></div></body></html>"""


def key_points(a: dict) -> str:
    body = a["body"]
    return f"""<!DOCTYPE html><html lang="{a["lang"]}"><head><meta charset="utf-8"><title>{e(a["title"])} - {e(a["site"])}</title>
<meta property="og:site_name" content="{e(a["site"])}"><meta property="article:published_time" content="{a["date"]}T05:45:00Z"><meta name="author" content="{e(a["authors"][0])}"></head>
<body><header class="masthead"><div class="edition">International edition</div><nav>{nav_ul()}</nav><form><input placeholder="Search"></form></header>
<div class="ticker"><span>LIVE</span> Markets: stocks slip as oil rises</div>
<main><article class="story"><h1>{e(a["title"])}</h1><p class="byline">By <a rel="author">{e(a["authors"][0])}</a>, Athens correspondent</p>
<div class="video-teaser"><a>Watch: tourists queue in the heat (1:12)</a></div>
<p>{e(body[0])}</p><p>{e(body[1])}</p>
<div class="related-inline"><a href="/x">Wildfires: how Greece prepares for the summer</a></div>
{"".join(f"<p>{e(p)}</p>" for p in body[2:])}
<div class="share-bar"><a>Facebook</a> <a>X</a> <a>Copy link</a></div></article>
<section class="more-on-this-story"><h2>More on this story</h2><ul>{"".join(f"<li><a>{e(t)}</a></li>" for t in TEASERS[2:6])}</ul></section></main>
<footer><p>Terms · Privacy · Cookies · Contact us</p><p>Copyright © 2024 {e(a["site"])}. We are not responsible for the content of external sites.</p></footer></body></html>"""


def newsletter(a: dict) -> str:
    return f"""<!DOCTYPE html><html lang="{a["lang"]}"><head><meta charset="utf-8"><title>{e(a["title"])} - by {e(a["authors"][0])} - {e(a["site"])}</title>
<meta property="og:site_name" content="{e(a["site"])}"><meta name="author" content="{e(a["authors"][0])}">
<script type="application/ld+json">{json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": a["title"], "datePublished": a["date"] + "T07:00:00+00:00", "author": [{"@type": "Person", "name": a["authors"][0]}], "publisher": {"@type": "Organization", "name": a["site"]}})}</script></head>
<body><div class="topbar"><a>{e(a["site"])}</a><button>Subscribe</button><button>Sign in</button></div>
<div class="single-post"><div class="post-header"><h1 class="post-title">{e(a["title"])}</h1><h3 class="subtitle">{e(a["standfirst"])}</h3>
<div class="byline-wrapper"><a class="author">{e(a["authors"][0])}</a><div class="post-date">{a["date"]}</div></div>
<div class="post-ufi"><button>12 likes</button><button>4 comments</button><button>Share</button></div></div>
<div class="available-content"><div class="body markup">{paras(a)}</div></div>
<div class="subscription-widget"><p>Thanks for reading {e(a["site"])}! Subscribe for free to receive new posts and support my work.</p><input placeholder="Type your email..."><button>Subscribe</button></div>
<div class="post-footer"><button>Like</button><button>Comment</button><button>Restack</button></div>
<div class="comments-section"><h3>Discussion about this post</h3><div class="comment"><b>Ruth</b><p>We have a new one in Hexham and it is lovely.</p></div><div class="comment"><b>Dev</b><p>Good to see some optimism!</p></div></div></div>
<footer>{"".join(f"<a>{n}</a> " for n in NAV[:3])} · Privacy · Terms · Collection notice</footer></body></html>"""


LAYOUTS = [ghost, drupal, key_points, newsletter]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "pages-heldout")
    args = ap.parse_args()
    print(f"wrote {write_set(ARTICLES, LAYOUTS, args.out)} pages and truth.json to {args.out}")


if __name__ == "__main__":
    main()
