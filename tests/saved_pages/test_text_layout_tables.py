"""Plain-text copies of pages laid out in tables: the menu column beside the story column."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from transforms.plaintext import classify_blocks, parse_plain_text

# Per language: menu items (left column), then the story column: date line,
# headline, standfirst, two paragraphs.
PAGES = {
    "en": (
        ["Home", "World", "Europe", "Business", "Health", "Science", "Sport", "Weather"],
        [
            "Last updated: Monday, 4 March 2024, 09:15 GMT",
            "Harbour cranes fall silent in Varnholm",
            "Dock workers stopped the northern pier on Monday over a dispute about pay.",
            "Dock workers at the northern pier of Varnholm stopped work on Monday morning, "
            "and the ferries to the mainland were the first to feel it.",
            "The union said the strike would go on until the port authority made a new offer "
            "on pay and on the length of the night shifts.",
        ],
        "Harbour cranes fall silent in Varnholm",
        datetime(2024, 3, 4, 9, 15, tzinfo=UTC),
    ),
    "de": (
        ["Startseite", "Politik", "Wirtschaft", "Kultur", "Sport", "Wetter", "Reisen"],
        [
            "Aktualisiert: 12. Mai 2023, 14:30 Uhr",
            "Fähre nach Varnholm fährt wieder",
            "Nach drei Wochen Pause legt das Schiff am Freitag wieder im Hafen ab.",
            "Die Fähre zwischen Varnholm und dem Festland fährt ab Freitag wieder, wie die "
            "Reederei am Donnerstag mitteilte.",
            "Die Reparatur des Antriebs hatte länger gedauert als geplant, weil ein Ersatzteil "
            "aus dem Ausland kommen musste.",
        ],
        "Fähre nach Varnholm fährt wieder",
        datetime(2023, 5, 12, 14, 30, tzinfo=UTC),
    ),
    "es": (
        ["Portada", "Nacional", "Internacional", "Economía", "Deportes", "Cultura", "Tiempo"],
        [
            "Actualizado: 7 de junio de 2022",
            "El puerto de Varnholm amplía el muelle norte",
            "Las obras durarán todo el invierno y costarán doce millones de euros.",
            "El puerto de Varnholm ampliará el muelle norte a partir de octubre, según anunció "
            "ayer la autoridad portuaria en una rueda de prensa.",
            "Los trabajos obligarán a desviar los ferris al muelle sur durante los meses de "
            "obras, que terminarán antes de la temporada de verano.",
        ],
        "El puerto de Varnholm amplía el muelle norte",
        datetime(2022, 6, 7, tzinfo=UTC),
    ),
}


def _table(*columns: list[str]) -> list[str]:
    """Columns rendered row by row as a browser copy gives them: every line padded to
    the table's width, the story column's lines between the menu's items."""
    height = max(map(len, columns))
    cells = [column + [""] * (height - len(column)) for column in columns]
    widths = [max(map(len, column)) + 6 for column in cells]
    rows = [
        "".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        for row in zip(*cells, strict=True)
    ]
    return [row.rstrip().ljust(sum(widths)) for row in rows]


@pytest.mark.parametrize("lang", sorted(PAGES))
def test_headline_and_story_of_a_layout_table_are_read_column_by_column(lang: str) -> None:
    menu, story, headline, published = PAGES[lang]
    # Paragraphs are set apart by blank lines; the headline shares a line with a menu item,
    # the menu runs on beside the story.
    column = [story[0], "", "", story[1], "", story[2], "", story[3], "", story[4]]
    copy = ["Site search", "", *_table(menu + menu[::-1], column), "", "Contact | Imprint"]
    lines = [block.text for block in classify_blocks("\n".join(copy))[0]]
    assert lines[lines.index(story[0]) :][: len(story)] == story  # no menu item between
    article = parse_plain_text("\n".join(copy))
    assert article.title == headline
    assert article.published_at == published
    body = article.body.splitlines()
    assert body[-2:] == story[-2:]
    assert not set(menu) & set(body)


def test_a_sidebar_beside_the_story_is_read_after_it() -> None:
    """Menu, story and a sidebar of related links: three columns, read one after another."""
    menu, story, headline, _ = PAGES["en"]
    related = ["Related stories", "Ferry timetable changes", "Port authority elects chair"]
    column = [story[0], "", story[1], "", story[2], "", story[3], "", story[4]]
    copy = "\n".join(["Site search", "", *_table(menu * 2, column, related)])
    lines = [block.text for block in classify_blocks(copy)[0]]
    assert lines[lines.index(story[0]) :][: len(story) + 1] == [*story, related[0]]
    assert parse_plain_text(copy).title == headline


def test_a_data_table_keeps_its_rows() -> None:
    """A table with text in both columns on most lines is data: each line stays one row."""
    harbours = ["Varnholm", "Ostby", "Kesterwick", "Lindqvarn"]
    sailings = ["12 sailings a day", "4 sailings a day", "no sailings in winter", "2 a day"]
    blocks, _ = classify_blocks("\n".join(_table(harbours, sailings)))
    assert [b.text for b in blocks] == [
        cell for row in zip(harbours, sailings, strict=True) for cell in row
    ]


def _under_a_menu(lang: str, *header: str) -> str:
    """A copy of a site menu, the header lines given, then the language's story lines."""
    menu = ["Home", "News", "Sport", "Weather", "Opinion", "Video"]
    return "\n".join([*menu, *header, *PAGES[lang][1][3:]])


# A stamp without a year right under the headline, per language: (headline, stamp).
YEARLESS_STAMPS = {
    "en": ("HARBOUR CRANES FALL SILENT IN VARNHOLM", "Fri Dec 28, 6:09 PM ET"),
    "de": ("FÄHRE NACH VARNHOLM FÄHRT WIEDER", "Fr., 28. Dezember, 18:09"),
    "es": ("EL PUERTO DE VARNHOLM AMPLÍA EL MUELLE", "Viernes 28 de diciembre, 18:09"),
}


@pytest.mark.parametrize("lang", sorted(YEARLESS_STAMPS))
def test_a_stamp_without_a_year_is_never_the_headline(lang: str) -> None:
    headline, stamp = YEARLESS_STAMPS[lang]
    article = parse_plain_text(_under_a_menu(lang, "Search", headline, stamp))
    assert article.title == headline


# A headline of capitalised words only, right above its byline, per language.
NAME_SHAPED_HEADLINES = {
    "en": ("Remembering Ada Varn", "By Jon Kessel -- Varnholm Post"),
    "de": ("Hafenmeisterin Ada Varn", "Von Jon Kessel"),
    "es": ("Recordando Ada Varn", "Por Jon Kessel"),
}


@pytest.mark.parametrize("lang", sorted(NAME_SHAPED_HEADLINES))
def test_a_name_shaped_headline_over_its_byline_stays_the_headline(lang: str) -> None:
    headline, byline = NAME_SHAPED_HEADLINES[lang]
    article = parse_plain_text(_under_a_menu(lang, "Sign in", headline, byline))
    assert (article.title, article.author) == (headline, "Jon Kessel")
