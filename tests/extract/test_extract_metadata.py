"""Headline, byline and date of an HTML page: what a reader sees, at the most precise source.

The pages are invented; each reproduces a shape real news pages have (issue 13:
site-name suffixes, publishers as authors; issue 18: a URL's day beating a
feed's or page's time of day).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from mediawatch.saved_folder import document_input
from schemas.records import Article, FeedItem, Page
from transforms.extract import extract
from transforms.metadata import parse_stamp, strip_site
from transforms.saved_pages import read_saved

STORY = "".join(
    f"<p>Paragraph {n} of the report: the harbour authority said the new ferry timetable "
    "would add two crossings on weekdays and keep the night service through the winter.</p>"
    for n in range(1, 7)
)


def page_html(*, head: str = "", body_top: str = "", story: str = STORY) -> bytes:
    """A news page: the given head and top-of-article markup, then the story."""
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>{head}</head><body>"
        "<header><a href='/'>Home</a> <a href='/world'>World</a></header>"
        f"<main><article>{body_top}{story}</article></main>"
        "<footer><p>© The Example Herald. All rights reserved.</p></footer></body></html>"
    ).encode()


def json_ld(data: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def run(content: bytes, url: str = "https://herald.example/world/ferry", **page: object) -> Article:
    outcome = extract(
        Page(
            source="test",
            url=url,
            content=content,
            fetched_at=datetime(2026, 11, 28, tzinfo=UTC),
            content_type="text/html; charset=utf-8",
            **page,
        )
    )
    assert isinstance(outcome, Article), outcome
    return outcome


# --- title -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "sites", "expected"),
    [
        (
            "Ferry timetable adds crossings | CBC News",
            ["CBC News"],
            "Ferry timetable adds crossings",
        ),
        (
            "Ferry timetable adds crossings - National | Globalnews.ca",
            [],
            "Ferry timetable adds crossings",
        ),
        ("Fähre fährt öfter - Seznam Zprávy", ["Seznam Zprávy"], "Fähre fährt öfter"),
        ("渡轮增加班次 后果很严重_科技_腾讯网", ["腾讯网"], "渡轮增加班次 后果很严重"),
        ("Herald: Ferry timetable adds crossings", ["herald"], "Ferry timetable adds crossings"),
        ("Covid-19 - what the ferry crews say", [], "Covid-19 - what the ferry crews say"),
        ("Ferry timetable adds crossings – My Harbour", [], "Ferry timetable adds crossings"),
        ("Ferry crews pursue talks: Sport: Rugby: News24", ["news24"], "Ferry crews pursue talks"),
        ("Ferry crews vote to strike | January 15, 2008 | NNS", [], "Ferry crews vote to strike"),
    ],
)
def test_the_site_name_and_section_are_cut_from_a_title(
    title: str, sites: list[str], expected: str
) -> None:
    assert strip_site(title, sites) == expected


@pytest.mark.parametrize("key", ["parsely-title", "dc:title"])
def test_a_title_stated_only_in_parsely_or_rdfa_dublin_core_metadata_is_read(key: str) -> None:
    head = f"<meta name='{key}' content='Two more ferry crossings a day from March'>"
    article = run(page_html(head=head + "<title>Weekend roundup</title>"))
    assert article.title == "Two more ferry crossings a day from March"


def test_the_visible_headline_wins_over_an_seo_title() -> None:
    head = (
        "<title>Ferry news: timetable, fares, crossings | The Example Herald</title>"
        "<meta property='og:title' content='Two more ferry crossings a day from March'>"
        "<meta property='og:site_name' content='The Example Herald'>"
    )
    article = run(
        page_html(head=head, body_top="<h1>Two more ferry crossings a day from March</h1>")
    )
    assert article.title == "Two more ferry crossings a day from March"
    assert "Two more ferry crossings" not in article.body.splitlines()[0]


def test_a_title_that_is_only_the_site_name_gives_way_to_the_headline() -> None:
    head = (
        "<title>The Example Herald</title>"
        "<meta property='og:site_name' content='The Example Herald'>"
    )
    body_top = "<div class='headline'>Harbour authority adds two ferry crossings</div>"
    assert run(page_html(head=head, body_top=body_top)).title == (
        "Harbour authority adds two ferry crossings"
    )


def test_the_part_of_a_title_the_page_shows_is_the_headline() -> None:
    """An old layout: the headline in a table cell, the <title> wrapped in sections and site."""
    head = "<title>Kemble quits as ferry coach - World - Sport - Northern News</title>"
    body_top = "<table><tr><td><b>Kemble quits as ferry coach</b></td></tr></table>"
    assert run(page_html(head=head, body_top=body_top)).title == "Kemble quits as ferry coach"


@pytest.mark.parametrize(
    "below",
    [
        "<div>By Jonas Weber</div><div>January 8, 2008</div>",
        # a caption right above the story is a title-like line too, never the headline
        "<figure><figcaption>The night ferry leaving the harbour on Tuesday</figcaption></figure>",
        # unmarked credit lines: a photo credit in brackets, a writer's name and role
        "<div>The night ferry leaving the harbour on Tuesday [EPA]</div>",
        "<div>Jonas Weber - Coast News Service Staff Writer</div>",
    ],
)
def test_the_unmarked_line_above_the_story_beats_a_title_that_is_not_on_the_page(
    below: str,
) -> None:
    head = "<title>Welcome to the Northern News -- News, Sports, Business, Opinion</title>"
    body_top = f"<div><font size='4'>Harbour board approves two extra crossings</font></div>{below}"
    assert run(page_html(head=head, body_top=body_top)).title == (
        "Harbour board approves two extra crossings"
    )


SHARED = "Harbour board approves two extra crossings"


@pytest.mark.parametrize(
    "share",
    [
        "".join(
            f"<a href='https://{host}/submit?url=https%3A%2F%2Fherald.example%2Fferry"
            f"&amp;title={SHARED.replace(' ', '+')}'>{host}</a> "
            for host in ("digg.example", "delicious.example")
        ),
        f"<a href='javascript: var headline = escape(&quot;{SHARED}&quot;);"
        ' openWin("/email.asp?s=7&amp;headline=" + headline)\'>E-mail this story</a>',
    ],
    ids=["share-url", "e-mail-script"],
)
def test_the_headline_share_links_pass_on_beats_a_title_that_is_not_on_the_page(
    share: str,
) -> None:
    """An old layout with no heading markup: the share links name the story, a standfirst
    sits right above it, and the <title> is the site's blurb."""
    head = "<title>Northern News - Ferries, Weather and Sport for the Northern Coast</title>"
    body_top = (
        f"<table><tr><td><div class='sh'>{SHARED}</div></td></tr></table>"
        "<div>Night service kept through the winter</div>"
    )
    story = f"{STORY}<div class='share'>{share}</div>"
    assert run(page_html(head=head, body_top=body_top, story=story)).title == SHARED


@pytest.mark.parametrize(
    "head",
    [
        "<title>Lifestyle &amp; Entertainment</title>",
        "<title>herald.example - Weekend Living</title>",
        "<title>The Example Herald - the coast's best-selling morning paper</title>",
    ],
)
def test_a_title_that_shares_no_word_with_the_story_gives_way_to_its_heading(head: str) -> None:
    """Section labels and site blurbs as <title>, even shown in the page's menu or
    confirming a heading of their own, are not the story's headline."""
    body_top = (
        "<nav><h2>Weekend Living</h2><a href='/l'>Lifestyle &amp; Entertainment</a></nav>"
        "<h2>Harbour authority adds ferry crossings</h2>"
    )
    assert run(page_html(head=head, body_top=body_top)).title == (
        "Harbour authority adds ferry crossings"
    )


@pytest.mark.parametrize(
    "head",
    ["", "<title>Harbour Journal Online - Northern Coast News, Weather</title>"],
    ids=["no-title", "site-blurb-title"],
)
def test_a_heading_naming_the_story_beats_the_credit_line_above_it(head: str) -> None:
    """A heading sharing words with the story wins over a title that does not name it (or
    no title) and over the title-like line right above the story (here a credit line)."""
    body_top = (
        "<h2>Harbour authority adds ferry crossings</h2>"
        "<div>Jonas Weber, Coast News Service; Harbour Journal Bureau</div>"
    )
    assert run(page_html(head=head, body_top=body_top)).title == (
        "Harbour authority adds ferry crossings"
    )


def test_a_page_whose_title_tag_is_never_closed_keeps_its_story() -> None:
    """A truncated page: without repair the parser reads the whole page as its <title>."""
    content = (
        b"<html><head><title>Ferry crossings added | Northern News\n<script>var a = 1;</script>"
        b"</head><body><h1>Ferry crossings added</h1>" + STORY.encode() + b"</body></html>"
    )
    article = run(content)
    assert article.title == "Ferry crossings added"
    assert "harbour authority said" in article.body


def test_a_headline_naming_the_site_is_not_cut_as_the_site_name() -> None:
    head = "<title>Welcome to Ferryline Developer Edition</title>"
    body_top = "<h1>Welcome to Ferryline Developer Edition</h1>"
    url = "https://developer.ferryline.example/welcome"
    assert run(page_html(head=head, body_top=body_top), url=url).title == (
        "Welcome to Ferryline Developer Edition"
    )


def test_space_separated_meta_properties_each_count() -> None:
    head = "<meta property='og:title twitter:title' content='Harbour board approves crossings'>"
    assert run(page_html(head=head)).title == "Harbour board approves crossings"


# A title-like line between a heading and the story: the headline must not be guessed from it.
STANDFIRST = "<div>Night service kept through the winter</div>"


@pytest.mark.parametrize(
    "title",
    [
        "<title>Harbour board approves cross' + ad_query + '\"><\\/SCRIPT>');</title>",
        '<title>Ferries - Inherald.example/search/opensearch.xml" /></title>',
    ],
    ids=["script-debris", "tag-debris"],
)
def test_a_title_cut_off_into_markup_gives_way_to_the_heading(title: str) -> None:
    """A crawl that broke a page mid-script leaves code in its <title>: not a headline."""
    body_top = f"<h2>Harbour board approves crossings</h2>{STANDFIRST}"
    assert run(page_html(head=title, body_top=body_top)).title == (
        "Harbour board approves crossings"
    )


def test_a_title_that_drops_an_apostrophe_still_confirms_the_heading() -> None:
    head = "<title>Pilots Union Backs Skippers Plan (from The Northern News)</title>"
    body_top = f"<h2>Pilots' union backs skipper's plan</h2>{STANDFIRST}"
    assert run(page_html(head=head, body_top=body_top)).title == (
        "Pilots' union backs skipper's plan"
    )


def test_a_one_word_heading_is_the_headline_when_the_title_is_that_word_and_the_site() -> None:
    """An encyclopedia-like page: h1 "Harbourton", <title> "Harbourton - Wikiharbour"."""
    head = "<title>Harbourton - Wikiharbour</title>"
    body_top = "<h1>Harbourton</h1><h2>Contents</h2><h2>Harbour authority ferry dispute</h2>"
    url = "https://en.wikiharbour.example/wiki/Harbourton"
    assert run(page_html(head=head, body_top=body_top), url=url).title == "Harbourton"


def test_the_headline_in_a_table_cell_with_its_dateline_and_a_bold_place_name() -> None:
    """An old layout: the headline is the first text of a cell that goes on with a spacer
    image and a nested table of dates; the story opens with a place name in <strong>."""
    head = "<title>Northern News - the coast's best-selling morning paper - Britain</title>"
    body_top = (
        "<table><tr><td class='articleTitle'>Ferry fares frozen for a year"
        "<img src='spacer.gif'><table><tr><td>Published: Wednesday, 2 January, 2008</td></tr>"
        "</table></td></tr></table>"
    )
    story = (
        "<p><strong>HARBOURTON:</strong> The harbour authority froze ferry fares for a year on"
        " Tuesday, keeping the night service and the two weekday crossings it added.</p>" + STORY
    )
    assert run(page_html(head=head, body_top=body_top, story=story)).title == (
        "Ferry fares frozen for a year"
    )


def test_the_headline_above_a_story_read_as_one_layout_table_row() -> None:
    """A page laid out in one table: trafilatura reads the story as the row "| menu | kicker
    headline story... |"; the story's first paragraph is found on the page all the same."""
    content = (
        "<!doctype html><html><head><title>Northern News - Ferries, Weather and Sport for the"
        " Northern Coast</title></head><body><table><tr><td><a href='/'>Home</a>"
        " <a href='/news'>News</a></td><td><span>Harbour &gt; Ferries</span>"
        " <font size='4'><b>Ferry fares frozen for a year</b></font><br><p>The harbour"
        " authority froze ferry fares for a year on Tuesday, keeping the night service and"
        f" the two weekday crossings.</p>{STORY}</td></tr></table></body></html>"
    ).encode()
    article = run(content)
    assert article.body.startswith("| ")  # the shape this test is about
    assert article.title == "Ferry fares frozen for a year"


def test_a_list_item_above_the_story_is_not_its_headline() -> None:
    head = "<title>ferry notes</title>"
    body_top = "<ul><li>I have heard it before; and</li><li>Two more crossings ahead</li></ul>"
    assert run(page_html(head=head, body_top=body_top)).title == "ferry notes"


def test_a_title_naming_the_story_beats_a_credit_line_above_it_that_does_not() -> None:
    head = "<title>Harbour authority adds weekday ferry crossings | March 3, 2008 | NNS</title>"
    body_top = "<div>Jonas Weber - Coast Service Staff Writer</div>"
    assert run(page_html(head=head, body_top=body_top)).title == (
        "Harbour authority adds weekday ferry crossings"
    )


def test_a_page_whose_crawl_lost_its_start_still_gets_its_headline() -> None:
    """The saved page opens mid-script (no <html>, <head> or <body> tag survives before the
    story): the parser makes no body element, yet the headline cell is on the page."""
    content = (
        "\n\t\n  preloadFlag = true;\n}\n// -->\n</SCRIPT>\n</head>\n<body>"
        "<table><tr><td><a href='/'>HOME</a> | <a href='/events'>EVENTS</a></td></tr>"
        "<tr><td><span class='articleHeadline'>Ferry fares frozen for a year</span></td></tr>"
        "<tr><td><span>by Jonas Weber, Friday, Dec 28, 2007</span></td></tr></table>"
        f"{STORY}</body></html>"
    ).encode()
    assert run(content).title == "Ferry fares frozen for a year"


def test_a_bold_phrase_the_first_sentence_goes_on_after_is_not_the_headline() -> None:
    """A bold name ("The <b>Night Rider</b> ferry has been ...") right above the rest of
    the story's first sentence is inside a line; the headline is the line before it."""
    content = (
        "<!doctype html><html><body><table><tr><td><a href='/'>Home</a></td><td>"
        "<div>Jonas Weber</div><div>29 Dec, 2007</div><div>Harbour ferries updated</div>"
        "<div>While the southern ports wait another week, the harbour authority renewed its"
        " fleet this week, and it is a decent renewal. The <b>Night Rider Express</b>"
        " ferry has been refitted and a timetable for it can now be read at every pier"
        f" and in the harbour office.</div>{STORY}</td></tr></table></body></html>"
    ).encode()
    assert run(content).title == "Harbour ferries updated"


def test_the_headline_in_a_cell_whose_dateline_opens_with_a_line_break() -> None:
    """An old layout: the cell holds the headline and then a dateline wrapped in a span
    that opens with a <br>; the page's only headings are section labels of its sidebar
    and its <title> is the site's name, so the cell's first text is the headline."""
    content = (
        "<!doctype html><html><head><title>Harbour TV</title></head><body><table><tr><td>"
        "<h2>Latest Features</h2><ul><li><a href='/f/1'>Pier walks</a></li></ul></td><td>"
        "<table><tr><td><h2>News</h2></td></tr><tr><td class='story-title'>"
        "Ferry crews agree new winter rota<span class='date'><br>Thursday, 10 January 2008,"
        " 09:14</span></td></tr><tr><td><span><b>Ferry crews have agreed a new winter rota"
        " with the harbour authority, the union said on Thursday after a long night of"
        f" talks.</b> {STORY}</span></td></tr></table></td></tr></table></body></html>"
    ).encode()
    article = run(content, url="https://www.harbourtv.example/News_Article.aspx?id=41573")
    assert article.title == "Ferry crews agree new winter rota"


@pytest.mark.parametrize(
    "headline",
    [
        "Ferry makers out in force at Harbour Expo 2008",
        "Winter rota for the ferry crews agreed (2)",
        "Ferry makers out in force at Harbour Expo 2008 (2º)",
    ],
)
def test_a_headline_mentioning_a_year_or_ending_with_its_part_number_is_a_headline(
    headline: str,
) -> None:
    """An old layout with a <title> of the site's name: the headline in a cell above the
    story mentions a year, or numbers its part; neither is a date line or a credit."""
    content = (
        "<!doctype html><html><head><title>Harbour TV</title></head><body><table><tr><td>"
        f"<span>Agency wire</span></td></tr><tr><td>{headline}</td></tr><tr><td>"
        f"<div>07/01/2008 20:12</div>{STORY}</td></tr></table></body></html>"
    ).encode()
    assert run(content).title == headline


def test_the_line_above_the_first_paragraph_beats_a_sidebar_heading_naming_only_later_text() -> (
    None
):
    """An old page laid out in one table, with no <title>: a sidebar's teaser heading names
    words of the text trafilatura extracts further down, none of the story's first
    paragraph; the unmarked line right above that paragraph is the headline."""
    content = (
        "<!doctype html><html><body><table><tr><td><h2>Harbour authority fines ferry"
        " operator</h2><p>More in Coast news.</p></td><td><div>Carriage horses on the quay"
        " may disappear</div><div>by Jane Roe</div><div>A Northern Coast tourist attraction,"
        " the carriage horses lined up at the quay may soon become a thing of the past if"
        f" council members vote for the ban.</div>{STORY}</td></tr></table></body></html>"
    ).encode()
    assert run(content).title == "Carriage horses on the quay may disappear"


def test_a_photo_caption_marked_by_its_id_is_not_the_headline() -> None:
    """An old page: headline, date, then a photo whose caption only its id names
    ("lblCap"), right above the story's first paragraph."""
    content = (
        "<!doctype html><html><head><title>Harbour TV</title></head><body><table><tr><td>"
        "<span id='lblTitle'>No exceptions to the ferry fare freeze</span><br>"
        "<span id='lblDateTime'>Sat, 29 Dec 2007 17:50:54</span></td></tr><tr><td>"
        "<img src='/photo/1.jpg'><div><span id='ctl00_Content_lblCap'>The old ferry pier"
        " at Harbourton in winter</span></div><span id='lblBody'><b>The harbour authority"
        " will not accept any exceptions to the ferry fare freeze on the northern coast,"
        f" its chairman says.</b><br>{STORY}</span></td></tr></table></body></html>"
    ).encode()
    url = "https://www.harbourtv.example/detail.aspx?id=36764"
    assert run(content, url=url).title == "No exceptions to the ferry fare freeze"


def test_a_section_named_by_the_urls_folder_is_not_the_headline() -> None:
    """`<title>` "site - Local Sports Wire" and a heading "Local Sports Wire" on
    ".../localsportswire/22.html": the section's name, not the story's headline."""
    head = "<title>harbour.example - Local Sports Wire</title>"
    body_top = (
        "<h2>Local Sports Wire</h2><div>Fri, 18 Jan 2008 02:30:08 GMT</div>"
        "<h3>Ferry crews finally win the harbour regatta</h3>"
    )
    url = "https://harbour.example/localsportswire/22.0.html?file=regatta.xml"
    assert run(page_html(head=head, body_top=body_top), url=url).title == (
        "Ferry crews finally win the harbour regatta"
    )


def test_a_news_agency_credit_above_the_story_is_not_the_headline() -> None:
    content = (
        "<!doctype html><html><head><title>940 HARBOUR</title></head><body><table><tr><td>"
        "<div>Ferry crews get good mid-season grades, except on timekeeping</div>"
        "<div>at 12:19 on January 7, 2008, EST.</div><div>THE CANADIAN PRESS</div>"
        "<p>HARBOURTON - The harbour authority gives its ferry crews a passing grade for"
        f" the first half of the season nearly everywhere except on timekeeping.</p>{STORY}"
        "</td></tr></table></body></html>"
    ).encode()
    assert run(content, url="https://www.940news.example/nouvelles.php?id=10726").title == (
        "Ferry crews get good mid-season grades, except on timekeeping"
    )


def test_a_page_titled_only_with_the_site_name_gets_no_title_rather_than_the_site() -> None:
    head = "<title>Harbour TV</title>"
    url = "https://www.harbourtv.example/detail/193311"
    assert run(page_html(head=head), url=url).title is None


# --- authors -----------------------------------------------------------------


def test_json_ld_text_escaped_as_html_reads_as_the_reader_sees_it() -> None:
    """Some sites HTML-escape their JSON-LD strings ("Jos&#xE9;", "&#8217;")."""
    head = json_ld(
        {
            "@type": "NewsArticle",
            "headline": "Harbour&#8217;s night ferry service returns",
            "author": {"@type": "Person", "name": "Jos&#xE9; Volta e Pinto"},
        }
    )
    article = run(page_html(head=head))
    assert article.title == "Harbour’s night ferry service returns"
    assert article.author == "José Volta e Pinto"


def test_publisher_and_site_names_are_never_authors() -> None:
    head = (
        "<title>Ferry crossings rise | Deutsche Welle</title>"
        "<meta name='author' content='Deutsche Welle'>"
        "<meta property='og:site_name' content='Deutsche Welle'>"
        + json_ld(
            {
                "@type": "NewsArticle",
                "headline": "Ferry crossings rise",
                "author": [
                    {"@type": "Person", "name": "Marta Lindqvist"},
                    {"@type": "Organization", "name": "Hessenschau De"},
                ],
                "publisher": {"@type": "Organization", "name": "Deutsche Welle"},
            }
        )
    )
    assert run(page_html(head=head)).author == "Marta Lindqvist"


def test_an_author_only_the_site_names_leaves_the_author_empty() -> None:
    head = (
        "<title>Ferry crossings rise - BR</title><meta name='author' content='BR'>"
        "<meta property='og:site_name' content='BR'>"
    )
    assert run(page_html(head=head), url="https://br.example/news/ferry").author is None


def test_the_visible_byline_names_the_author_when_metadata_does_not() -> None:
    body_top = "<h1>Ferry crossings rise</h1><p class='byline'>By Jonas Weber and Ana Ruiz</p>"
    assert run(page_html(head="<title>Ferry crossings rise</title>", body_top=body_top)).author == (
        "Jonas Weber; Ana Ruiz"
    )


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        (  # a byline found by its class, with a date after the name; a related story's later
            "<span class='pb-byline'>By <a href='/people/erin'>Erin Calloway</a>"
            " March 11, 2015 3:46 PM</span><aside><span class='author'>Par Louis Martin</span>"
            "</aside>",
            "Erin Calloway",
        ),
        (  # the name as the byline shows it, without the role the block adds
            "<div class='author'><a class='author-link' href='/author/ben'>Ben Sorensen</a>"
            " <span>Travel Editor</span></div>",
            "Ben Sorensen",
        ),
        (  # the writer, not the editor the byline credits after
            "<div class='byline'>Written by Erin Calloway Edited by Louis Martin</div>",
            "Erin Calloway",
        ),
        (  # a role after a comma is no second author
            "<p class='byline'>By Jonas Weber, Harbour correspondent</p>",
            "Jonas Weber",
        ),
        (
            "<p class='byline'>Von Ana Ruiz, Korrespondentin in Hamburg, und Jonas Weber</p>",
            "Ana Ruiz; Jonas Weber",
        ),
        (  # Portuguese "e" inside one person's surnames, a date in Portuguese after them
            "<p class='byline'>José Volta e Pinto 11 de Outubro de 2020, 8:34</p>",
            "José Volta e Pinto",
        ),
        (  # ... and between two people's full names
            "<p class='byline'>Por Ana Silva e João Santos</p>",
            "Ana Silva; João Santos",
        ),
    ],
    ids=[
        "class-and-date",
        "role-appended",
        "written-and-edited",
        "role",
        "role-and-second",
        "surnames-with-e",
        "two-names-with-e",
    ],
)
def test_the_first_visible_byline_gives_the_names_only(byline: str, author: str) -> None:
    body_top = f"<h1>Ferry crossings rise</h1>{byline}"
    html = page_html(head="<title>Ferry crossings rise</title>", body_top=body_top)
    assert run(html).author == author


# --- dates (issue 18, bug 2) -------------------------------------------------


def test_feed_and_page_time_of_day_win_over_the_day_in_the_url() -> None:
    head = "<meta property='article:published_time' content='2026-11-27T09:30:00Z'>"
    url = "https://herald.example/world/2026/11/27/ferry-crossings"
    item = FeedItem(
        source="test",
        feed_url="https://herald.example/feed",
        url=url,
        canonical_url=url,
        article_id="x",
        published_at=datetime(
            2026, 11, 27, 9, 30, tzinfo=UTC
        ),  # pubDate Fri, 27 Nov 2026 09:30 GMT
    )
    assert run(page_html(head=head), url=url, item=item).published_at == datetime(
        2026, 11, 27, 9, 30, tzinfo=UTC
    )


def test_the_feed_time_wins_over_the_url_day_when_the_page_states_none() -> None:
    url = "https://herald.example/world/2026/11/27/ferry-crossings"
    item = FeedItem("test", "https://herald.example/feed", url, url, "x")
    item.published_at = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    assert run(page_html(), url=url, item=item).published_at == item.published_at


def test_a_saved_page_keeps_its_time_of_day_when_its_canonical_url_has_a_date() -> None:
    canonical = "https://herald.example/2026/11/26/ferry-crossings"
    html = page_html(
        head=f"<link rel='canonical' href='{canonical}'>"
        "<meta property='article:published_time' content='2026-11-26T13:45:00+01:00'>"
    )
    (doc,) = read_saved("story.html", html).documents
    made = document_input(
        doc, url=doc.url or "", source="inbox", read_at=datetime.now(UTC), raw_file="story.html"
    )
    assert isinstance(made, Page)
    article = extract(made)
    assert isinstance(article, Article)
    assert article.url == canonical
    assert article.published_at == datetime(2026, 11, 26, 12, 45, tzinfo=UTC)


def test_a_day_from_the_url_is_kept_when_nothing_more_precise_exists() -> None:
    url = "https://herald.example/world/2026/11/27/ferry-crossings"
    assert run(page_html(), url=url).published_at == datetime(2026, 11, 27, tzinfo=UTC)


TRACKBACK = (
    '<!--\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
    '  xmlns:dc="http://purl.org/dc/elements/1.1/">\n<rdf:Description\n'
    '  rdf:about="{about}"\n  dc:title="Ferry notes"\n  dc:date="{date}" />\n</rdf:RDF>\n-->'
)


def test_a_blog_posts_trackback_rdf_dates_it() -> None:
    """Blog software hides each post's date in a trackback RDF comment; a blog's page
    describes its neighbours too: the post's own is the one about its URL."""
    url = "https://blog.harbour.example/ferrynotes/e/52743e20"
    story = (
        STORY
        + TRACKBACK.format(about=url, date="2020-07-12T22:00:00+09:00")
        + TRACKBACK.format(about=url.replace("52743e20", "41fa"), date="2015-07-21T09:00:00+09:00")
    )
    published = run(page_html(story=story), url=url).published_at
    assert published == datetime(2020, 7, 12, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "at", "precise"),
    [
        ("2026-11-27T09:30:00Z", datetime(2026, 11, 27, 9, 30, tzinfo=UTC), True),
        ("Fri, 27 Nov 2026 09:30:00 GMT", datetime(2026, 11, 27, 9, 30, tzinfo=UTC), True),
        ("2026-11-27", datetime(2026, 11, 27, tzinfo=UTC), False),
        ("2026-11-27T00:00:00", datetime(2026, 11, 27, tzinfo=UTC), False),
    ],
)
def test_stamps_know_whether_they_state_a_time_of_day(
    text: str, at: datetime, precise: bool
) -> None:
    stamp = parse_stamp(text)
    assert stamp is not None
    assert (stamp.at, stamp.precise) == (at, precise)


# --- no page left empty (issue 13, item 4) -----------------------------------


def test_a_story_only_in_structured_data_is_found_by_a_wider_setting() -> None:
    text = (
        "Ferry fares on the Varnholm line rise by four percent from March, the operator said "
        "on Monday, citing fuel costs. Season tickets are not affected, and children under "
        "twelve still travel free on every crossing of the strait."
    )
    head = "<title>Ferry fares rise</title>" + json_ld(
        {"@type": "NewsArticle", "headline": "Ferry fares rise", "articleBody": text}
    )
    html = f"<html><head>{head}</head><body><div id='app'></div></body></html>".encode()
    article = run(html)
    assert article.title == "Ferry fares rise"
    assert "four percent from March" in article.body
