"""Charset choice: BOM, declaration, <meta>, detection, and binary refusal."""

from __future__ import annotations

import codecs

import pytest

from transforms.charset import NotText, Undecodable, decode_html

FRENCH = "Le café de la gare rouvre après l'été: crème brûlée, thé et pâtisseries."
QUOTES = "“Ferry crossings will resume on Friday,” said the director – with a smile."
RUSSIAN = (
    "Паромное сообщение между островом и материком возобновится в пятницу, "
    "сообщили в администрации порта после осмотра северного причала."
)
JAPANESE = "港湾局によると、島と本土を結ぶフェリーは金曜日に運航を再開する予定です。"


def page(body: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>t</title></head><body><p>{body}</p></body></html>"


def test_iso_8859_1_from_meta() -> None:
    data = page(FRENCH, '<meta charset="ISO-8859-1">').encode("iso-8859-1")
    assert FRENCH in decode_html(data)


def test_windows_1252_from_http_equiv() -> None:
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    assert QUOTES in decode_html(page(QUOTES, meta).encode("cp1252"))


def test_iso_8859_1_label_means_windows_1252() -> None:
    """Curly quotes in a page labelled ISO-8859-1 are cp1252 bytes 0x93/0x94, as in browsers."""
    data = page(QUOTES).encode("cp1252")
    assert QUOTES in decode_html(data, declared="ISO-8859-1")


def test_windows_1251_declared_as_content_type_header() -> None:
    data = page(RUSSIAN).encode("cp1251")
    assert RUSSIAN in decode_html(data, declared="text/html; charset=windows-1251")


def test_windows_1251_detected_without_declaration() -> None:
    assert RUSSIAN in decode_html(page(RUSSIAN * 3).encode("cp1251"))


def test_shift_jis_from_meta() -> None:
    data = page(JAPANESE, '<meta charset="Shift_JIS">').encode("shift_jis")
    assert JAPANESE in decode_html(data)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_beats_a_wrong_declaration(codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    data = bom + page(FRENCH, '<meta charset="utf-8">').encode(codec)
    text = decode_html(data, declared="iso-8859-1")
    assert FRENCH in text
    assert not text.startswith("\ufeff")


def test_utf8_bom_is_removed() -> None:
    assert decode_html(codecs.BOM_UTF8 + page(FRENCH).encode()).startswith("<html>")


def test_wrong_http_declaration_falls_back_to_meta() -> None:
    data = page(RUSSIAN, '<meta charset="windows-1251">').encode("cp1251")
    # cp1251 bytes are not valid UTF-8, so the declared charset is skipped.
    assert RUSSIAN in decode_html(data, declared="utf-8")


def test_stale_legacy_meta_on_utf8_page_is_ignored() -> None:
    data = page(FRENCH, '<meta charset="iso-8859-1">').encode("utf-8")
    assert FRENCH in decode_html(data)


CHINESE = "人工智能公司开发出一款能够用自己的记忆学习新知识并回答问题的计算机。"


@pytest.mark.parametrize(
    ("label", "text"), [("gb2312", CHINESE), ("Shift_JIS", JAPANESE)], ids=["gb2312", "sjis"]
)
def test_stale_multibyte_meta_on_utf8_page_is_ignored(label: str, text: str) -> None:
    """On a long page the few UTF-8 bytes GB18030 cannot read are under the "almost fits"
    share, so the declaration would win and give mojibake: valid UTF-8 wins instead."""
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={label}">'
    data = page(text + "<script>var x = 1;</script>" * 400, meta)
    assert text in decode_html(data.encode("utf-8"))


def test_gbk_page_keeps_its_declaration() -> None:
    data = page(CHINESE, '<meta charset="gb2312">').encode("gb18030")
    assert CHINESE in decode_html(data)


def test_unknown_declared_charset_is_skipped() -> None:
    assert FRENCH in decode_html(page(FRENCH).encode("utf-8"), declared="x-no-such-charset")


def test_meta_claiming_utf16_on_ascii_page_means_utf8() -> None:
    data = page(FRENCH, '<meta charset="utf-16">').encode("utf-8")
    assert FRENCH in decode_html(data)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        b"GIF89a\x01\x00",
        b"%PDF-1.7\n",
        b"PK\x03\x04rest",
        b"<html>\x00\x00\x00\x01</html>",
    ],
)
def test_binary_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(NotText) as info:
        decode_html(data)
    assert info.value.reason == "binary"


def test_noise_is_undecodable() -> None:
    noise = bytes((i * 37 + 11) % 254 + 1 for i in range(4000))
    with pytest.raises(Undecodable) as info:
        decode_html(noise, declared="utf-8")
    assert info.value.reason == "undecodable"


def damaged_utf8(body: str, meta: str) -> bytes:
    """A UTF-8 page with three bytes that are not UTF-8, as a bad copy-paste leaves them."""
    data = page(body * 20, meta).encode("utf-8")
    middle = len(data) // 2
    return data[:middle] + b"\xff\xfe\x81" + data[middle:]


@pytest.mark.parametrize(
    ("declared", "meta"),
    [("text/html; charset=utf-8", '<meta charset="utf-8">'), (None, '<meta charset="utf-8">')],
)
def test_a_declared_charset_that_almost_fits_is_kept(declared: str | None, meta: str) -> None:
    """Three bad bytes used to send the page to detection, which chose cp1250 ("cafĂŠ")."""
    text = decode_html(damaged_utf8(FRENCH, meta), declared=declared)
    assert text.count(FRENCH) >= 19
    assert text.count("\ufffd") == 3
    assert "cafĂ" not in text


def test_legacy_text_mislabelled_as_utf8_is_still_detected() -> None:
    """No valid multi-byte UTF-8 at all: the label is wrong, not the bytes damaged."""
    data = page(RUSSIAN * 5).encode("cp1251")
    assert RUSSIAN in decode_html(data, declared="utf-8")


def test_nothing_declared_is_still_guessed() -> None:
    data = page(FRENCH * 5).encode("cp1252") + b"\x81"
    assert FRENCH in decode_html(data)
