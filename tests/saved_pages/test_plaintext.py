"""Plain-text copies: header fields are recovered from many layouts, the body is prose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from mediawatch.errors import ConfigError
from transforms.extract import from_plain_text
from transforms.plaintext import (
    RULES_FILE,
    classify_blocks,
    find_date,
    load_text_rules,
    parse_byline,
    parse_date,
    parse_plain_text,
    relative_age,
    url_date,
)

BODY_1 = "Ferry crossings between Varnholm and the mainland will resume on Friday, officials said."
BODY_2 = "The outer deck of the northern pier will be rebuilt over the winter."


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_browser_copy_fixture(fixtures_dir: Path) -> None:
    text = (fixtures_dir / "saved" / "copied_article.txt").read_text(encoding="utf-8")
    article = parse_plain_text(text)
    assert article.title == "Varnholm ferry link to reopen after storm repairs"
    assert article.standfirst == (
        "Engineers say the northern pier is safe, a week after gales tore away its outer deck"
    )
    assert article.author == "Lena Ostrova"
    assert article.published_at == utc(2022, 8, 3)
    assert article.updated_at == utc(2022, 8, 4, 9, 0)
    paragraphs = article.body.split("\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("Ferry crossings between Varnholm")
    assert "readers who subscribe to its alerts" in paragraphs[1]
    assert paragraphs[2] == "Island businesses have lost about two weeks of summer trade."
    for furniture in ("Share", "Advertisement", "Sign up", "Image caption", "Listen"):
        assert furniture not in article.body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("August 3, 2022", utc(2022, 8, 3)),
        ("3 Aug 2022 10:56am", utc(2022, 8, 3, 10, 56)),
        ("3 Aug 2022 10:56pm", utc(2022, 8, 3, 22, 56)),
        ("12:30am 3 Aug 2022", utc(2022, 8, 3, 0, 30)),
        ("3 Aug 2022, 12:30 a.m.", utc(2022, 8, 3, 0, 30)),
        ("03/08/2022", utc(2022, 8, 3)),
        ("08/23/2022", utc(2022, 8, 23)),
        ("3.8.2022", utc(2022, 8, 3)),
        ("2022-08-03T10:56:00Z", utc(2022, 8, 3, 10, 56)),
        ("2022-08-03T10:56:00+02:00", utc(2022, 8, 3, 8, 56)),
        ("2022-08-03", utc(2022, 8, 3)),
        ("Wed 3 Aug 2022 10.56 BST", utc(2022, 8, 3, 9, 56)),
        ("Wednesday, Aug. 3, 2022 at 10:56 a.m. EDT", utc(2022, 8, 3, 14, 56)),
        ("3rd August 2022", utc(2022, 8, 3)),
        ("31/02/2022", None),
        ("3 Aug 2022 10:56 XYZ", None),
        ("sometime in August", None),
        # Year first, as East Asian and Central European sites write it.
        ("2022年8月3日 10時56分", utc(2022, 8, 3, 10, 56)),
        ("2022.08.03 10:56", utc(2022, 8, 3, 10, 56)),
        ("2022. 08. 03. 10:56", utc(2022, 8, 3, 10, 56)),
        ("2022/8/3", utc(2022, 8, 3)),
        ("2022.13.03", None),
        # The time before the date, as US and social sites write it.
        ("3:04 PM EDT Mar 2, 2018", utc(2018, 3, 2, 19, 4)),
        ("11:25 PM - 10 Jul 2020", utc(2020, 7, 10, 23, 25)),
    ],
)
def test_parse_date(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("segment", "lang", "expected"),
    [
        ("Published 3:04 PM EDT Mar 2, 2018", "en", utc(2018, 3, 2, 19, 4)),
        # Weekday names of the text's language, and a time after a dash.
        ("Domingo, Diciembre 6, 2020 - 07:32", "es", utc(2020, 12, 6, 7, 32)),
        ("Mittwoch, 3. August 2022 | 10:56 Uhr", "de", utc(2022, 8, 3, 10, 56)),
        ("Mercredi 3 août 2022 à 10h56", "fr", utc(2022, 8, 3, 10, 56)),
        # Two-digit years, in a stamp only.
        ("Publié le 27 mars 20 à 9h21", "fr", utc(2020, 3, 27, 9, 21)),
        ("11.03.17 in Harbour News", "en", utc(2017, 3, 11)),
        # A stamp the page shows twice is still one date line.
        ("Nov 23, 2020 at 5:02 AM Nov 23, 2020 at 5:02 AM", "en", utc(2020, 11, 23, 5, 2)),
        # A headline in an unspaced script that mentions dates is no date line.
        ("港の新しい桟橋が完成しました(2020/7/11-12、記念式典など18件)", None, None),
        ("2020年07月12日 更新", None, utc(2020, 7, 12)),
    ],
)
def test_find_date_in_a_stamp(segment: str, lang: str, expected: datetime | None) -> None:
    assert find_date(segment, lang) == expected


def test_french_byline_of_two_names_and_date_after_a_dash() -> None:
    """ "Par A et B — date": the dash parts byline and stamp; both names are authors."""
    text = "\n".join(
        [
            "Accueil",
            "Le bac de Varnholm reprend la mer après les réparations",
            "Par Léa Martin et Hugo Bernard — 24 novembre 2017 à 18:42",
            "Les traversées entre Varnholm et le continent reprendront vendredi, "
            "ont annoncé les responsables du port.",
            "Le pont extérieur de la jetée nord sera reconstruit pendant l'hiver, "
            "et les bacs ne seront plus arrêtés.",
        ]
    )
    article = parse_plain_text(text)
    assert article.title == "Le bac de Varnholm reprend la mer après les réparations"
    assert article.author == "Léa Martin, Hugo Bernard"
    assert article.published_at == utc(2017, 11, 24, 18, 42)


def test_arabic_copy_is_dated_in_its_own_month_names() -> None:
    """The text's language (here Arabic, told by jusText's stop words) gives the month names."""
    text = "\n".join(
        [
            "الرئيسية",
            "أخبار",
            "افتتاح الرصيف الجديد في ميناء فارنهولم بعد إصلاحات العاصفة",
            "الأربعاء، 07 أكتوبر 2020 12:19",
            "قال مسؤولون في الميناء إن العبارات بين فارنهولم والبر الرئيسي ستعود إلى العمل "
            "يوم الجمعة بعد أن انتهت أعمال الإصلاح.",
            "وأضافوا أن السطح الخارجي للرصيف الشمالي سيعاد بناؤه خلال فصل الشتاء، "
            "وأن الرحلات لن تتوقف مرة أخرى.",
        ]
    )
    article = parse_plain_text(text)
    assert article.title == "افتتاح الرصيف الجديد في ميناء فارنهولم بعد إصلاحات العاصفة"
    assert article.published_at == utc(2020, 10, 7, 12, 19)


@pytest.mark.parametrize(
    ("line", "author"),
    [
        ("By Jane Doe", "Jane Doe"),
        ("BY JANE DOE", "JANE DOE"),
        ("Written by Jane Doe", "Jane Doe"),
        ("Jane Doe, Brussels correspondent", "Jane Doe"),
        ("Jane Doe in Brussels", "Jane Doe"),
        ("By Jane Doe and Piet van Dalen", "Jane Doe, Piet van Dalen"),
        ("By Élodie Marchand, senior reporter", "Élodie Marchand"),
        ("By June Lindqvist", "June Lindqvist"),
        ("by June Lindqvist July 10, 2015", "June Lindqvist"),
        ("By the time the ferry arrived", None),
        ("Jane Doe", None),
        ("Protesters Clash With Police in Varnholm", None),
        ("Storm hits Varnholm, says weather editor", None),
        # Chinese and Japanese bylines: a label, then a name of two to four characters.
        ("作者：王小明", "王小明"),
        ("記者 陳大文", "陳大文"),
        ("文／李明", "李明"),
        ("文化新闻", None),
    ],
)
def test_parse_byline(line: str, author: str | None) -> None:
    assert parse_byline(line) == author


# Header layouts: (header lines, title, standfirst, author, published_at, updated_at).
LAYOUTS = [
    # Headline, byline, date; no standfirst.
    (
        ["Ferry link to reopen", "By Jane Doe", "August 3, 2022"],
        "Ferry link to reopen",
        None,
        "Jane Doe",
        utc(2022, 8, 3),
        None,
    ),
    # Guardian-like: standfirst, byline with place, weekday date, modified line.
    (
        [
            "Ferry link to reopen",
            "Repairs are finished a week early.",
            "Jane Doe in Varnholm",
            "Wed 3 Aug 2022 10.56 BST",
            "Last modified on Wed 3 Aug 2022 12.00 BST",
        ],
        "Ferry link to reopen",
        "Repairs are finished a week early.",
        "Jane Doe",
        utc(2022, 8, 3, 9, 56),
        utc(2022, 8, 3, 11, 0),
    ),
    # Date and byline on one line, before the headline.
    (
        ["3 Aug 2022 10:56am | By Jane Doe", "Ferry link to reopen"],
        "Ferry link to reopen",
        None,
        "Jane Doe",
        utc(2022, 8, 3, 10, 56),
        None,
    ),
    # Published and updated on one line without separators.
    (
        [
            "Breaking news",
            "Ferry link to reopen",
            "Published 3 August 2022 Updated 4 August 2022",
            "Written by Jane Doe",
        ],
        "Ferry link to reopen",
        None,
        "Jane Doe",
        utc(2022, 8, 3),
        utc(2022, 8, 4),
    ),
    # ISO date, no byline; "5 min read" furniture on the date line.
    (
        ["Ferry link to reopen", "2022-08-03T10:56:00Z · 5 min read"],
        "Ferry link to reopen",
        None,
        None,
        utc(2022, 8, 3, 10, 56),
        None,
    ),
    # "By" on a line of its own, the name on the next (a byline rendered from two blocks).
    (
        ["Ferry link to reopen", "By", "Jane Doe", "3 August 2022"],
        "Ferry link to reopen",
        None,
        "Jane Doe",
        utc(2022, 8, 3),
        None,
    ),
    # A bare name whose first word is on jusText's English stop list ("John"), a "Follow"
    # button between it and the date.
    (
        ["Ferry link to reopen", "John C. Welch", "Follow", "Aug 3, 2022"],
        "Ferry link to reopen",
        None,
        "John C. Welch",
        utc(2022, 8, 3),
        None,
    ),
    # A role line under the name is a credit, not the author's name.
    (
        ["Ferry link to reopen", "Jane Doe", "Harbour Editor", "3 August 2022"],
        "Ferry link to reopen",
        None,
        "Jane Doe",
        utc(2022, 8, 3),
        None,
    ),
    # A Title Case headline right under a longer menu item is the headline, no standfirst.
    (
        [
            "Places near me Random place",
            "The Old Ferry That Made Varnholm A Famous Island Harbour Again",
            "by Jane Doe August 3, 2022",
        ],
        "The Old Ferry That Made Varnholm A Famous Island Harbour Again",
        None,
        "Jane Doe",
        utc(2022, 8, 3),
        None,
    ),
    # No metadata at all: everything after the headline is body.
    (
        ["Ferry link to reopen"],
        "Ferry link to reopen",
        None,
        None,
        None,
        None,
    ),
]


@pytest.mark.parametrize(("header", "expected"), [(case[0], case[1:]) for case in LAYOUTS])
def test_header_layouts(header: list[str], expected: tuple[object, ...]) -> None:
    """`expected` is (title, standfirst, author, published_at, updated_at)."""
    article = parse_plain_text("\n".join([*header, "", BODY_1, "", BODY_2]))
    found = (
        article.title,
        article.standfirst,
        article.author,
        article.published_at,
        article.updated_at,
    )
    assert found == expected
    assert article.body == f"{BODY_1}\n{BODY_2}"


def test_prose_lines_between_headline_and_byline_are_kept() -> None:
    text = "\n".join(
        ["Ferry link to reopen", "Repairs are finished.", "Crews on pier.", "By Jane Doe", BODY_1]
    )
    article = parse_plain_text(text)
    assert article.standfirst == "Repairs are finished."
    assert article.body == f"Crews on pier.\n{BODY_1}"


def test_late_date_line_does_not_turn_body_into_standfirst() -> None:
    text = "\n".join(["Ferry link to reopen", "By Jane Doe", BODY_1, BODY_2, "Updated 4 Aug 2022"])
    article = parse_plain_text(text)
    assert article.standfirst is None
    assert article.updated_at is None
    assert article.body.startswith(f"{BODY_1}\n{BODY_2}")


def test_empty_text() -> None:
    article = parse_plain_text("  \n\n")
    assert (article.title, article.body, article.author) == (None, "", None)


def test_headline_is_the_line_the_story_is_about_not_a_related_link() -> None:
    """The ranker prefers the headline whose words recur in the story over a nearer related link."""
    text = "\n".join(
        [
            "Home",
            "News",
            "Ferry crossings to Varnholm resume after pier repairs",
            "Related Stories",
            "Council elects new harbour master",
            BODY_1,
            BODY_2,
        ]
    )
    assert parse_plain_text(text).title == "Ferry crossings to Varnholm resume after pier repairs"


@pytest.mark.parametrize(
    ("model", "feature"), [("title_model", "story_overlap"), ("block_model", "stop_density")]
)
def test_learned_models_must_weigh_every_feature(tmp_path: Path, model: str, feature: str) -> None:
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    del raw[model]["weights"][feature]
    path = tmp_path / "textcopy.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{model}\.weights"):
        load_text_rules(path)


def test_readers_comments_end_the_story() -> None:
    """Comments are prose the classifier would keep; their section header ends the body."""
    story = [
        f"{BODY_1} Paragraph {n} of the story goes on about the harbour and its piers."
        for n in range(6)
    ]
    comments = [
        "3 Comments",
        "Ada Lind says the ferry was always late and the new pier will not change that at all.",
        "Reply",
        "Bo Sund thinks that the council should have rebuilt the pier years ago, before the gale.",
    ]
    menu = ["Home", "News", "Sport", "Weather", "Ferry crossings to Varnholm resume"]
    article = parse_plain_text("\n".join([*menu, *story, *comments, "About us", "Contact"]))
    assert article.body.split("\n") == story


def test_a_comment_thread_longer_than_the_story_is_not_taken_for_it() -> None:
    story = [f"{BODY_1} Part {n} tells how the harbour crews rebuilt the pier." for n in range(4)]
    thread = [
        f"Reader {n} wrote that the ferry was late again this morning, and that the council "
        f"should explain why the northern pier took so long to repair after the gale."
        for n in range(12)
    ]
    menu = ["Home", "News", "Sport", "Weather", "Varnholm ferry link to reopen"]
    related = [f"Related: harbour story number {n}" for n in range(7)]
    header = "12 Responses to “Varnholm ferry link to reopen”"
    text = "\n".join([*menu, *story, *related, header, *thread])
    article = parse_plain_text(text)
    assert article.title == "Varnholm ferry link to reopen"
    assert article.body.split("\n") == story


def test_a_comments_link_in_the_header_does_not_cut_the_story() -> None:
    """Site menus rendered as long lines are no story text, and they do not let the
    "1 Comment" link above the story end the body before it began."""
    sections = [
        "Business & Finance",
        "Dealing with Ferries",
        "Finding Berths",
        "Freebies",
        "Harbour Administration",
        "Fishing Fleet",
        "Interviews",
        "Linkage",
        "Making Money",
        "News",
        "Case Studies",
        "Commentary & Analysis",
        "Conferences",
        "Product Releases",
        "Podcasts",
        "Productivity",
        "Project Management",
        "Reviews",
        "The Lighter Side",
        "The Working Day",
        "Tips & Tricks",
    ]
    menus = [
        " ".join(["Ask The Harbour Board", *sections, "Harbour Pilots", "Port Fees"]),
        " ".join(["Interviews Tides", *sections[8:]]),
    ]
    sites = [f"Sister site {n}" for n in range(12)]
    header = ["Varnholm ferry link to reopen on Monday", "Ada Lind |", "| November 9th 2012"]
    story = [
        f"The harbour crews worked through the night to rebuild the northern pier. Part {n} of "
        "the story tells how the crews and the council planned the repairs."
        for n in range(8)
    ]
    text = "\n".join(
        ["Home", "Jobs", *menus, *sites, *header, "1 Comment", *story, "Website |", "Contact"]
    )
    article = parse_plain_text(text)
    assert article.title == "Varnholm ferry link to reopen on Monday"
    assert article.body.split("\n") == story


def test_a_menu_line_with_dot_separators_is_never_the_headline() -> None:
    """ "Read today's paper · Jobs", "HOME • EVENTS": menus rendered as one line, not headlines."""
    teaser = (
        "Ferry crossings between Varnholm and the mainland will resume on Friday after the "
        "storm, officials of the harbour board said on Tuesday, and the first boat leaves at dawn."
    )
    for menu in ("Read today's paper · Jobs", "HOME • CLASSIFIEDS • EVENTS"):
        text = "\n".join(
            ["Search:", menu, teaser, "Varnholm ferry link to reopen after storm", BODY_1, BODY_2]
        )
        assert parse_plain_text(text).title == "Varnholm ferry link to reopen after storm"


# A header whose structural pick is the share line above the headline (and the headline its
# standfirst): date line, share line, headline, byline, role, story (English, German, French).
SHARE_LINE_HEADERS = {
    "en": (
        "Thursday, March 12, 2026 - Page updated at 06:00 AM",
        "E-mail article Print view Share: Digg Newsvine",
        "Harbour crane strike ends after nine days",
        "By Mara Lindqvist",
        "Staff reporter",
        "The crane strike at the Varnholm harbour ended on Wednesday night after nine days,"
        " when the union accepted a new shift plan.",
    ),
    "de": (
        "Donnerstag, 12. März 2026 - Aktualisiert 06:00 Uhr",
        "Artikel per E-Mail senden Drucken Teilen",
        "Kranführer beenden Streik im Hafen nach neun Tagen",
        "Von Mara Lindqvist",
        "Redakteurin",
        "Der Streik der Kranführer im Hafen von Varnholm ist nach neun Tagen beendet, nachdem"
        " die Gewerkschaft einem neuen Schichtplan zugestimmt hat.",
    ),
    "fr": (
        "Jeudi 12 mars 2026 - Mis à jour à 06h00",
        "Envoyer par e-mail Imprimer Partager",
        "La grève des grutiers du port prend fin après neuf jours",
        "Par Mara Lindqvist",
        "Journaliste",
        "La grève des grutiers du port de Varnholm a pris fin mercredi soir après neuf jours,"
        " quand le syndicat a accepté un nouveau plan de travail.",
    ),
}
SHARE_LINE_STORY = {
    "en": [
        "Ships that had waited at anchor for more than a week began to berth at dawn, the port"
        " authority said in a statement.",
        "The agreement adds a third crew to the night shift and raises the hourly rate by four"
        " percent over two years.",
    ],
    "de": [
        "Schiffe, die mehr als eine Woche vor Anker gewartet hatten, legten am Morgen an, teilte"
        " die Hafenbehörde mit.",
        "Die Einigung sieht eine dritte Mannschaft für die Nachtschicht vor und erhöht den"
        " Stundenlohn in zwei Jahren um vier Prozent.",
    ],
    "fr": [
        "Les navires qui attendaient au mouillage depuis plus d'une semaine ont commencé à"
        " accoster à l'aube, a indiqué le port dans un communiqué.",
        "L'accord ajoute une troisième équipe de nuit et relève le salaire horaire de quatre"
        " pour cent sur deux ans.",
    ],
}


@pytest.mark.parametrize("lang", sorted(SHARE_LINE_HEADERS))
def test_the_ranked_headline_beats_a_share_line_paired_with_it(lang: str) -> None:
    """The structural pick takes the share line above the headline for the headline and the
    headline for its standfirst; the ranker's headline wins and the pair goes."""
    date, share, headline, byline, role, lead = SHARE_LINE_HEADERS[lang]
    menu = ["Home", "News", "Sports", "Business", "Weather"]
    text = "\n".join([*menu, date, share, headline, byline, role, lead, *SHARE_LINE_STORY[lang]])
    article = parse_plain_text(text)
    assert (article.title, article.standfirst) == (headline, None)
    assert article.author == "Mara Lindqvist"
    assert article.published_at == utc(2026, 3, 12)


# Photo captions above the headline are taken for the story's first lines; the headline
# and its date stamp come under them (English, German, French).
CAPTIONED_HEADERS = {
    "en": (
        "View larger image",
        "The mayor of Varnholm greets the ferry crews at the northern pier on Friday morning.",
        "Harbour workers load the first crates onto the repaired deck of the northern pier.",
        "Ferry crews return to the northern pier",
        "Updated Fri. Mar. 13 2026 10:56 PM ET",
        "The ferry crews of Varnholm went back to the northern pier on Friday, a week after"
        " gales tore away its outer deck.",
    ),
    "de": (
        "Bild vergrößern",
        "Der Bürgermeister von Varnholm begrüßt am Freitagmorgen die Fährleute am Nordpier.",
        "Hafenarbeiter laden die ersten Kisten auf das reparierte Deck des Nordpiers.",
        "Fährleute kehren an den Nordpier zurück",
        "Aktualisiert am 13.03.2026 22:56",
        "Die Fährleute von Varnholm sind am Freitag an den Nordpier zurückgekehrt, eine Woche"
        " nachdem der Sturm sein Deck abgerissen hatte.",
    ),
    "fr": (
        "Agrandir l'image",
        "Le maire de Varnholm accueille les équipages du bac sur la jetée nord vendredi matin.",
        "Des dockers chargent les premières caisses sur le pont réparé de la jetée nord.",
        "Les équipages du bac retrouvent la jetée nord",
        "Mis à jour le 13 mars 2026 à 22h56",
        "Les équipages du bac de Varnholm sont revenus vendredi sur la jetée nord, une semaine"
        " après que la tempête a arraché son pont.",
    ),
}


@pytest.mark.parametrize("lang", sorted(CAPTIONED_HEADERS))
def test_a_headline_over_its_date_below_photo_captions(lang: str) -> None:
    """Captions are sentences, so the story seems to start with them; the headline right
    above its date stamp under them is still found, not the "View larger image" line."""
    view, first_caption, second_caption, headline, stamp, lead = CAPTIONED_HEADERS[lang]
    menu = ["Home", "News", "Sport", "Weather", "Contact us"]
    photos = [view, first_caption, view, second_caption]
    text = "\n".join([*menu, *photos, headline, stamp, lead, *SHARE_LINE_STORY[lang]])
    article = parse_plain_text(text)
    assert article.title == headline
    assert headline not in article.body.split("\n")


@pytest.mark.parametrize(
    ("stamp", "lang", "age"),
    [
        ("2 days ago", "en", timedelta(days=2)),
        ("1h ago", "en", timedelta(hours=1)),
        ("vor 3 Stunden", "de", timedelta(hours=3)),
        ("il y a 2 jours", "fr", timedelta(days=2)),
        ("hace 3 horas", "es", timedelta(hours=3)),
        ("há 5 horas", "pt", timedelta(hours=5)),
        ("2 giorni fa", "it", timedelta(days=2)),
        ("3 uur geleden", "nl", timedelta(hours=3)),
        ("2 days later", "en", None),
        ("Harbour reopens in 2 days", "en", None),
    ],
)
def test_relative_age(stamp: str, lang: str, age: timedelta | None) -> None:
    assert relative_age(stamp, lang) == age


RELATIVE_BYLINES = {
    "en": ("Friday, March 13, 2026", "By Mara Lindqvist – 2 days ago"),
    "de": ("Freitag, 13. März 2026", "Von Mara Lindqvist | vor 2 Tagen"),
    "fr": ("Vendredi 13 mars 2026", "Par Mara Lindqvist | il y a 2 jours"),
}


@pytest.mark.parametrize("lang", sorted(RELATIVE_BYLINES))
def test_a_relative_stamp_counts_back_from_the_copys_own_date(lang: str) -> None:
    """ "By X – 2 days ago": the byline stands, and the day is counted back from the date the
    copy shows apart from its header (the masthead's "today"); without one, no day is made up."""
    masthead, byline = RELATIVE_BYLINES[lang]
    headline, lead = SHARE_LINE_HEADERS[lang][2], SHARE_LINE_HEADERS[lang][5]
    menu = ["Home", "News", "Sport", "Business", "Weather", "Travel"]
    header = [headline, byline, lead, *SHARE_LINE_STORY[lang]]
    article = parse_plain_text("\n".join([masthead, *menu, *header]))
    assert (article.title, article.author) == (headline, "Mara Lindqvist")
    assert article.published_at == utc(2026, 3, 11)
    undated = parse_plain_text("\n".join([*menu, *header]))
    assert (undated.author, undated.published_at) == ("Mara Lindqvist", None)


@pytest.mark.parametrize(
    "meta_line",
    [
        "2026-03-10 09:58:03 来源： 瓦恩霍尔姆日报 作者： 责任编辑：王小明",
        "2026-03-10 09:58 來源：瓦恩霍爾姆日報 記者：王小明",
    ],
)
def test_chinese_labelled_fields_in_one_meta_line(meta_line: str) -> None:
    """ "来源：X 作者：Y 责任编辑：Z" set apart by spaces only: each label opens a segment, so
    the line reads as the byline and date under the headline, not as the headline."""
    headline = "瓦恩霍尔姆渡轮将在风暴修复后恢复运行"
    story = [
        "瓦恩霍尔姆与大陆之间的渡轮将于周五恢复运行，港务局在工程师完成风暴损坏检查后表示。",
        "北码头的外层甲板将在冬季重建，港务局局长说，订阅提醒的读者将首先得知任何延误。",
        "岛上的商家在夏季损失了大约两周的生意。",
    ]
    article = parse_plain_text("\n".join(["首页", "新闻", "科技", headline, meta_line, *story]))
    assert (article.title, article.author) == (headline, "王小明")
    assert article.published_at is not None and article.published_at.date().isoformat() == (
        "2026-03-10"
    )


@pytest.mark.parametrize(
    "label", ["Topics: varnholm ferry pier crossings", "Tags: ferry crossings varnholm mainland"]
)
def test_a_line_led_by_a_control_label_is_never_the_headline(label: str) -> None:
    """ "Topics: ...", "Tags: ...": their words recur in the story, yet they are page controls."""
    text = "\n".join(["Home", "Varnholm ferry link to reopen", label, BODY_1, BODY_2])
    assert parse_plain_text(text).title == "Varnholm ferry link to reopen"


def test_a_table_cell_is_no_continuation_of_the_cell_beside_it() -> None:
    """Inscriptis sets table cells side by side; a headline cell in lower case ("eFerry ...")
    next to a section label is a line of its own, not the end of the label's sentence."""
    text = "\n".join(
        [
            "Home      Harbour News      Weather",
            "More Harbour News         eFerry tickets go on sale for Varnholm crossings",
            "By Jane Doe",
            BODY_1,
            BODY_2,
        ]
    )
    assert parse_plain_text(text).title == "eFerry tickets go on sale for Varnholm crossings"


@pytest.mark.parametrize(
    ("line", "published"),
    [
        (
            "Posted by Jane Doe on February 18, 2020 in Harbour News | Leave a comment",
            utc(2020, 2, 18),
        ),
        ("Updated: Feb 18, 2020, 10.45 AM UTC", utc(2020, 2, 18, 10, 45)),
    ],
)
def test_date_inside_a_longer_line_or_only_an_update_stamp(line: str, published: datetime) -> None:
    """Without a clean date line, a date written next to the headline still dates the story."""
    text = "\n".join(["Ferry crossings to Varnholm resume", line, BODY_1, BODY_2])
    assert parse_plain_text(text).published_at == published


@pytest.mark.parametrize(
    "line",
    [
        "by Jane Doe July 10, 2015",
        "By JANE DOE JULY 10, 2015 3:46 PM",
        "By Jane Doe@jdoe Updated Jul 10, 2015, 2:15pm EDT",
        "by Jane Doe @jdoe July 10, 2015: 12:41 PM ET",
    ],
)
def test_byline_sharing_its_line_with_the_date(line: str) -> None:
    text = "\n".join(["Ferry crossings to Varnholm resume", line, BODY_1, BODY_2])
    article = parse_plain_text(text)
    assert (article.author or "").lower() == "jane doe"
    assert article.published_at is not None
    assert article.published_at.date() == datetime(2015, 7, 10).date()


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://news.example.org/region/2022/08/03/ferry-link-reopens", utc(2022, 8, 3)),
        ("https://news.example.org/2022-08-03/ferry-link-reopens.html", utc(2022, 8, 3)),
        ("https://news.example.org/ferry-link-reopens", None),
        ("https://news.example.org/2022/13/45/ferry", None),
        (None, None),
    ],
)
def test_url_date(url: str | None, day: datetime | None) -> None:
    assert url_date(url) == day


def test_title_case_headline_above_the_date_is_not_a_bare_name() -> None:
    text = "\n".join(["Ferry Reopens After Storm", "August 3, 2022", "", BODY_1, "", BODY_2])
    article = parse_plain_text(text)
    assert (article.title, article.author) == ("Ferry Reopens After Storm", None)


def test_byline_apart_from_the_date_line_is_found() -> None:
    header = [
        "Ferry link to reopen",
        "By Jane Doe",
        "Repairs are finished a week early and the crews say the pier is safe again.",
        "Photograph: the northern pier",
        "Share",
        "Wed 3 Aug 2022 10.56 BST",
    ]
    article = parse_plain_text("\n".join([*header, "", BODY_1, "", BODY_2]))
    assert (article.author, article.published_at) == ("Jane Doe", utc(2022, 8, 3, 9, 56))


def test_nested_list_markers_of_a_rendered_page_are_bullets() -> None:
    """inscriptis renders nested lists with "*", "+" and "o" markers: menu items, not prose."""
    blocks, _ = classify_blocks("* News\n  + Sport\n    o Football\nOnly a line")
    assert [(b.text, b.bullet) for b in blocks] == [
        ("News", True),
        ("Sport", True),
        ("Football", True),
        ("Only a line", False),
    ]


def test_a_copy_without_a_date_takes_the_day_in_its_url() -> None:
    """The sidecar URL's day is the last resort; a date the copy shows comes first."""
    fetched = utc(2024, 1, 1)
    url = "https://news.example.org/region/2022/08/03/ferry-link-reopens"
    undated = parse_plain_text("\n".join(["Ferry link to reopen", "", BODY_1, "", BODY_2]))
    dated = parse_plain_text("\n".join(["Ferry link to reopen", "5 Aug 2022", BODY_1, BODY_2]))
    found = [
        from_plain_text(text, url=url, source="s", fetched_at=fetched).published_at
        for text in (undated, dated)
    ]
    assert found == [utc(2022, 8, 3), utc(2022, 8, 5)]


# One long paragraph per language, run together with its site's copyright footer
# on one line (a page laid out as a table renders so).
GLUED_STORIES = {
    "en": (
        "The harbour crews of Varnholm worked through the night to rebuild the northern pier,"
        " and the council said that the ferry would run again on Monday if the weather held."
    ),
    "de": (
        "Die Hafenarbeiter von Varnholm haben die ganze Nacht an der nördlichen Mole gearbeitet,"
        " und die Gemeinde sagte, dass die Fähre am Montag wieder fahren wird, wenn das Wetter"
        " hält."
    ),
    "fr": (
        "Les ouvriers du port de Varnholm ont travaillé toute la nuit pour reconstruire la jetée"
        " nord, et la mairie a dit que le bac reprendra lundi si le temps le permet."
    ),
}


@pytest.mark.parametrize("lang", sorted(GLUED_STORIES))
def test_a_story_run_together_with_its_copyright_footer_is_kept(lang: str) -> None:
    """A copyright mark makes a short line furniture, not a long story that ends in one."""
    sentence = GLUED_STORIES[lang]
    notice = "© 2024 Varnholm Gazette. All rights reserved."
    glued = " ".join([*(f"{sentence} ({n})" for n in range(7)), notice])
    assert len(glued) > 1000
    menu = ["Home", "News", "Sport", "Jobs", "Motors", "Dating", "Search Varnholm Gazette for:"]
    footer = ["Jobs", "Homes", "Weather", "Travel", "Horoscopes", "Classifieds", notice]
    text = "\n".join([*menu, glued, *footer])
    blocks, _ = classify_blocks(text)
    assert [b.furniture for b in blocks if "©" in b.text] == [False, True]
    assert parse_plain_text(text).body.split("\n") == [glued]


def test_placeholder_latin_is_judged_by_sentence_shape() -> None:
    """Chance hits of a stop list (Latin's "in", "et", "a" are Slovak stop words) do not
    make a language: the paragraphs are kept by their sentence shape, as for a language
    without a stop list."""
    paragraphs = [
        f"Lorem ipsum dolor sit amet {n}, consectetur adipisicing elit, sed do eiusmod tempor"
        " incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud"
        " exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure"
        " dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur."
        " Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt."
        for n in range(3)
    ]
    title = "This is a page of placeholder text: the paragraphs below are in no language at all"
    article = parse_plain_text("\n".join([title, *paragraphs]))
    assert article.body.split("\n") == paragraphs


@pytest.mark.parametrize(
    "paragraph",
    [
        "The ferry to Varnholm will run again on Monday, the council said after the repairs.",
        "Die Fähre nach Varnholm fährt ab Montag wieder, sagte die Gemeinde nach der Reparatur.",
        "Le bac pour Varnholm reprendra lundi, a dit la mairie après les travaux sur la jetée.",
    ],
)
def test_a_copy_of_one_paragraph_keeps_it_as_its_body(paragraph: str) -> None:
    """A note of one sentence may be taken for its own headline; it stays the body too."""
    assert parse_plain_text(paragraph).body == paragraph


# A paragraph hard-wrapped (a `<br>`) just before its sentence's last word.
WRAPPED_BEFORE_LAST_WORD = {
    "en": (
        "The harbour crews of Varnholm worked through the night, and the council said that the"
        " ferry to the islands would run again from next",
        "week. The mayor thanked the crews and the divers for their work in the cold water.",
    ),
    "de": (
        "Die Hafenarbeiter von Varnholm haben die ganze Nacht gearbeitet, und die Gemeinde"
        " sagte, dass die Fähre zu den Inseln ab Montag wieder",
        "fährt. Der Bürgermeister dankte den Arbeitern und den Tauchern für ihre Arbeit.",
    ),
    "es": (
        "Los estibadores de Varnholm trabajaron toda la noche, y el ayuntamiento dijo que el"
        " ferry a las islas volverá a salir desde el próximo",
        "lunes. El alcalde dio las gracias a los estibadores y a los buzos por su trabajo.",
    ),
}


@pytest.mark.parametrize("lang", sorted(WRAPPED_BEFORE_LAST_WORD))
def test_a_paragraph_wrapped_before_its_last_word_is_joined(lang: str) -> None:
    """A line that starts with the lower-case last word of the sentence above ("week. The
    mayor ...") continues it: the paragraph is one line of the body, not two halves."""
    head, tail = WRAPPED_BEFORE_LAST_WORD[lang]
    others = [f"{tail.split('. ', 1)[1]} ({n})" for n in range(3)]  # more of the story
    article = parse_plain_text("\n".join(["Varnholm ferry to run again", head, tail, *others]))
    assert article.body.split("\n") == [f"{head} {tail}", *others]


@pytest.mark.parametrize("lang", sorted(GLUED_STORIES))
def test_a_page_rendered_as_one_line_keeps_its_story_despite_its_pipes(lang: str) -> None:
    """A page laid out without block elements copies as one long line: its menu, its story
    and its pipe-separated footer together. The line is weighed as text; a line of pipe
    links alone ("Home | World | Sport") is still a menu."""
    story = " ".join(f"{GLUED_STORIES[lang]} ({n})" for n in range(4))
    menu = "Home | World | Sport | Business | Weather | Travel"
    footer = "About us | Contact | Advertise | Privacy | Terms of use"
    page = f"Varnholm Gazette Home | News | Sport {story} {footer}"
    article = parse_plain_text("\n".join([menu, page, menu]))
    assert article.body.split("\n") == [page]


# Per language: the comments link and header, and a reader's comment.
COMMENTS_LINK_ABOVE = {
    "en": ("Comments", "Great news, I take this ferry every week and I have missed it a lot."),
    "de": ("Kommentare", "Das ist eine gute Nachricht, ich fahre jede Woche mit dieser Fähre."),
    "fr": ("Commentaires", "Bonne nouvelle, je prends ce bac chaque semaine et il me manquait."),
}


@pytest.mark.parametrize("lang", sorted(COMMENTS_LINK_ABOVE))
def test_a_comments_link_above_the_story_does_not_end_it(lang: str) -> None:
    """A comments link between a paragraph above the story (the author's note) and the
    story sits before most of the story's text: the thread starts at the comments header
    below the story, not there."""
    label, comment = COMMENTS_LINK_ABOVE[lang]
    note, *story = [f"{GLUED_STORIES[lang]} ({n})" for n in range(4)]
    text = "\n".join(["Varnholm ferry to run again", note, label, *story, label, comment])
    body = parse_plain_text(text).body.split("\n")
    assert body[-3:] == story
    assert comment not in body


# A headline right above its date line; under the date a photo caption without a final
# stop, whose words recur in the story, then the story (English, German, French).
HEADLINE_OVER_CAPTION = {
    "en": (
        "Varnholm crews raring to go again",
        "Friday, 13 Mar 2026 22:36",
        "Ferry crews of Varnholm went back to the pier on Friday morning",
    ),
    "de": (
        "Varnholmer Fährleute wieder voller Tatendrang",
        "Freitag, 13. März 2026 22:36",
        "Die Fährleute von Varnholm sind am Freitagmorgen an den Pier zurückgekehrt",
    ),
    "fr": (
        "Les équipages de Varnholm impatients de repartir",
        "Vendredi 13 mars 2026 22:36",
        "Les équipages du bac de Varnholm sont revenus vendredi matin sur la jetée",
    ),
}
STORY_LEADS = {
    "en": "The ferry crews of Varnholm went back to the northern pier on Friday, a week after"
    " gales tore away its outer deck, and the mayor greeted them.",
    "de": "Die Fährleute von Varnholm sind am Freitag an den Nordpier zurückgekehrt, eine Woche"
    " nachdem der Sturm sein Deck abgerissen hatte.",
    "fr": "Les équipages du bac de Varnholm sont revenus vendredi sur la jetée nord, une semaine"
    " après que la tempête a arraché son pont.",
}


@pytest.mark.parametrize("lang", sorted(HEADLINE_OVER_CAPTION))
def test_a_headline_over_its_date_beats_the_caption_under_it(lang: str) -> None:
    """A headline comes before its byline and date: the caption under the date line, though
    its words recur in the story, is not taken for the headline (the ranker sees which
    lines sit right above a byline or date line, and which lie below the cluster)."""
    headline, stamp, caption = HEADLINE_OVER_CAPTION[lang]
    menu = ["Home", "News", "Sport", "Weather", "Contact us", "Sport Story"]
    header = ["15 March 2026 16:00 GMT", headline, stamp, caption, "Printer friendly version"]
    text = "\n".join([*menu, *header, STORY_LEADS[lang], *SHARE_LINE_STORY[lang]])
    article = parse_plain_text(text)
    assert article.title == headline
    assert article.published_at == utc(2026, 3, 15, 16)


# A weak headline over its date; further into the story a short sentence that repeats
# the story's words (English, Chinese).
SENTENCE_IN_STORY = {
    "en": (
        "Pier back",
        "13 March 2026 10:56",
        "The ferry crews of Varnholm went back to the northern pier on Friday, a week after"
        " gales tore away its outer deck.",
        "Ferry crews of Varnholm back at the northern pier.",
        "Ships that had waited at anchor for more than a week began to berth at dawn, the port"
        " authority said in a statement.",
        "The agreement adds a third crew to the night shift and raises the hourly rate by four"
        " percent over two years.",
    ),
    "zh": (
        "渡轮船员重返北码头",
        "2026年03月13日 10:56",
        "瓦恩霍尔姆的渡轮船员周五回到了北码头，一周前大风掀掉了码头的外层甲板。",
        "渡轮船员回到北码头，港务局说。",
        "港务局在声明中说，在锚地等待了一个多星期的船只在黎明时分开始靠泊。",
        "协议为夜班增加了第三个班组，并在两年内将小时工资提高百分之四。",
    ),
}


@pytest.mark.parametrize("lang", sorted(SENTENCE_IN_STORY))
def test_a_sentence_of_the_story_is_not_its_headline(lang: str) -> None:
    """A story line ending in a full stop is prose: it stays in the body and the headline
    is the line over the date, however short."""
    headline, stamp, *story = SENTENCE_IN_STORY[lang]
    menu = ["首页", "新闻", "科技", "体育", "财经"] if lang == "zh" else ["Home", "News", "Sport"]
    article = parse_plain_text("\n".join([*menu, headline, stamp, *story]))
    assert article.title == headline
    assert article.published_at == utc(2026, 3, 13, 10, 56)
    assert all(line in article.body.split("\n") for line in story[1:])


# Between the headline (with its standfirst) and the byline, a menu line cut short by an
# ellipsis (English, German).
ELLIPSIS_MENUS = {
    "en": (
        "Ferry crews return to the northern pier",
        "Engineers say the pier is safe a week after the gales",
        "Lodging Rentals Weather Road Conditions And More...",
        "Weather Road Conditions",
        "By Mara Lindqvist",
        "13 March 2026",
    ),
    "de": (
        "Fährleute kehren an den Nordpier zurück",
        "Ingenieure halten den Pier eine Woche nach dem Sturm für sicher",
        "Unterkünfte Ferienwohnungen Wetter Straßenzustand Und mehr…",
        "Wetter Straßenzustand",
        "Von Mara Lindqvist",
        "13. März 2026",
    ),
}


@pytest.mark.parametrize("lang", sorted(ELLIPSIS_MENUS))
def test_a_menu_cut_short_under_the_headline_is_not_story(lang: str) -> None:
    """Finished sentences between the headline and its byline are kept as story; a line
    ending in an ellipsis ("And More...") is a menu or a teaser, not one of them."""
    headline, standfirst, menu_line, second_menu_line, byline, date = ELLIPSIS_MENUS[lang]
    story = [STORY_LEADS[lang], *SHARE_LINE_STORY[lang]]
    menu = ["Startseite", "Nachrichten"] if lang == "de" else ["Home", "News"]
    header = [headline, standfirst, menu_line, second_menu_line, byline, date]
    text = "\n".join([*menu, *header, *story])
    article = parse_plain_text(text)
    assert (article.title, article.author) == (headline, "Mara Lindqvist")
    assert article.published_at == utc(2026, 3, 13)
    assert article.body.split("\n") == story


@pytest.mark.parametrize(
    ("headline", "teaser", "lang"),
    [
        (
            "Varnholm pier",
            "I know, I know. The ferry crews of Varnholm went back to the northern pier on Friday",
            "en",
        ),
        (
            "Fährleute zurück am Varnholmer Pier",
            "Ich weiß, ich weiß. Die Fährleute von Varnholm sind am Freitag an den Nordpier"
            " zurückgekehrt",
            "de",
        ),
    ],
)
def test_a_line_of_two_sentences_is_not_the_headline(headline: str, teaser: str, lang: str) -> None:
    """A line holding a sentence break ("I know. The ...") is prose, however many of the
    story's words it repeats: the headline over the date is taken."""
    story = [STORY_LEADS[lang], *SHARE_LINE_STORY[lang]]
    text = "\n".join(["Home", "News", "Sport", headline, "13 March 2026", teaser, *story])
    assert parse_plain_text(text).title == headline


# Readers' comments without a section header: each under a line with the commenter's
# name, a date and a clock time; dates a day apart, as replies to a story come.
THREAD_STAMPS = {
    "en": ("Ada Lind July 17, 2012 at 6:18 pm", "2. Bo Sund on July 18, 2012 at 9:02 am"),
    "de": ("Ada Lind 17. Juli 2012 um 18:18", "Bo Sund 18. Juli 2012 um 09:02"),
    "fr": ("Ada Lind 17 juillet 2012 à 18:18", "Bo Sund – 18 juillet 2012, 09:02"),
}
THREAD_REPLIES = {
    "en": (
        "I took that ferry for years and it was always late, so I doubt a new pier helps.",
        "The council should have rebuilt the pier long before the gale, in my opinion.",
    ),
    "de": (
        "Ich bin jahrelang mit der Fähre gefahren und sie war immer zu spät, leider.",
        "Die Gemeinde hätte die Mole schon lange vor dem Sturm erneuern sollen, finde ich.",
    ),
    "fr": (
        "J'ai pris ce bac pendant des années et il était toujours en retard, hélas.",
        "La mairie aurait dû refaire la jetée bien avant la tempête, à mon avis.",
    ),
}


@pytest.mark.parametrize("lang", sorted(THREAD_STAMPS))
def test_a_comment_thread_without_a_header_ends_the_story(lang: str) -> None:
    """Two dated stamps, each right over a sentence and days apart, open a thread: the
    story ends at the first, though no "Comments" header says so."""
    story = [f"{GLUED_STORIES[lang]} ({n})" for n in range(4)]
    thread = [
        line
        for pair in zip(THREAD_STAMPS[lang], THREAD_REPLIES[lang], strict=True)
        for line in pair
    ]
    text = "\n".join(["Varnholm ferry to run again", *story, "Share", *thread])
    assert parse_plain_text(text).body.split("\n") == story


def test_stamped_posts_of_a_forum_page_are_its_story() -> None:
    """A thread whose first stamp comes before any story text is the page itself (a
    forum, reader reviews): it is kept, and so is a listing dated weeks apart."""
    forum = [
        line
        for n, (stamp, reply) in enumerate(
            zip(THREAD_STAMPS["en"], THREAD_REPLIES["en"], strict=True)
        )
        for line in (stamp, f"{reply} {GLUED_STORIES['en']} ({n})")
    ]
    assert parse_plain_text("\n".join(["Ferry forum", *forum])).body.split("\n") == forum[1::2]
    story = [f"{GLUED_STORIES['en']} ({n})" for n in range(4)]
    events = [
        "Tuesday October 10, 2006 at 7:30 pm",
        "We will talk about the ferry timetable and the new pier with the harbour master.",
        "Tuesday November 7, 2006 at 7:30 pm",
        "We will talk about the winter service and the fares with the ferry company.",
    ]
    body = parse_plain_text("\n".join(["Harbour talks", *story, *events])).body.split("\n")
    assert body[-1] == events[-1]


# A story line ending in a colon, a list of short lines, then more story (en, de, fr).
COLON_LISTS = {
    "en": (
        "For the harbour cake the crews baked on the pier, mix together:",
        ["3 cups of flour", "2 eggs", "1 cup of sugar", "Half a cup of milk"],
    ),
    "de": (
        "Für den Hafenkuchen, den die Arbeiter auf der Mole gebacken haben, mischen Sie:",
        ["3 Tassen Mehl", "2 Eier", "1 Tasse Zucker", "Eine halbe Tasse Milch"],
    ),
    "fr": (
        "Pour le gâteau du port que les ouvriers ont cuit sur la jetée, mélangez :",
        ["3 tasses de farine", "2 oeufs", "1 tasse de sucre", "Une demi-tasse de lait"],
    ),
}


@pytest.mark.parametrize("lang", sorted(COLON_LISTS))
def test_a_list_under_a_story_line_ending_in_a_colon_is_story(lang: str) -> None:
    """Short unpunctuated lines in a run read as a menu, unless a story sentence ending
    in a colon introduces them and the story goes on below: then they are its list."""
    intro, items = COLON_LISTS[lang]
    story = [f"{GLUED_STORIES[lang]} ({n})" for n in range(3)]
    menu = ["Home", "News", "Sport", "Weather"]
    text = "\n".join(["Varnholm harbour cake", *menu, *story[:2], intro, *items, story[2], *menu])
    assert parse_plain_text(text).body.split("\n") == [*story[:2], intro, *items, story[2]]


def test_links_introduced_by_a_colon_above_the_story_stay_a_menu() -> None:
    """Above the story's first sentence a line ending in a colon introduces links."""
    story = [f"{GLUED_STORIES['en']} ({n})" for n in range(3)]
    links = ["Varnholm Post", "Varnholm Mail", "Sunday Ferry", "Forums"]
    intro = "This section is no longer in use, please click on the links below for news from:"
    body = parse_plain_text("\n".join(["Ferry news", intro, *links, *story])).body
    assert not set(links) & set(body.split("\n"))
