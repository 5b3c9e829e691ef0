"""Decoding: HTTP charset, meta charset, BOM, detection; Cyrillic single-byte pages come out as Cyrillic."""

from __future__ import annotations

import codecs

from newsarchive.extract import extract_article
from newsarchive.extract.html import detect_encoding, parse_html

HEADLINE = "Азербайджан и Казахстан подписали меморандум"
BODY = (
    "Азербайджан и Казахстан подписали меморандум о создании единой цифровой платформы для транзитных грузов, "
    "следующих через Каспийское море. Документ был подписан сегодня в Астане по итогам заседания совместной "
    "рабочей группы по транспорту и логистике."
)
SECOND = "Запуск пилотной версии платформы запланирован на первый квартал 2026 года, сообщили в министерстве."


def page(meta: str = "") -> str:
    """A small Russian article page, with an optional tag in its head."""
    return (
        f"<!DOCTYPE html><html lang='ru'><head>{meta}<title>{HEADLINE}</title></head>"
        f"<body><article><h1>{HEADLINE}</h1><p>{BODY}</p><p>{SECOND}</p></article></body></html>"
    )


def paragraph_text(body: bytes, content_type: str | None = None) -> str:
    tree = parse_html(body, content_type)
    assert tree is not None
    return tree.findtext(".//p")


def test_windows_1251_named_by_the_http_header_decodes_to_cyrillic() -> None:
    body = page().encode("windows-1251")
    assert paragraph_text(body, "text/html; charset=windows-1251") == BODY


def test_koi8_r_named_only_in_a_meta_http_equiv_tag_decodes_to_cyrillic() -> None:
    body = page('<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">').encode("koi8-r")
    assert detect_encoding(body, "text/html") == "koi8-r"
    assert paragraph_text(body, "text/html") == BODY


def test_meta_charset_tag_is_read() -> None:
    body = page('<meta charset="windows-1251">').encode("windows-1251")
    assert paragraph_text(body) == BODY


def test_undeclared_cyrillic_single_byte_pages_are_detected() -> None:
    for encoding in ("windows-1251", "koi8-r"):
        assert paragraph_text(page().encode(encoding)) == BODY


def test_a_byte_order_mark_wins_over_a_wrong_http_charset() -> None:
    body = codecs.BOM_UTF8 + page().encode("utf-8")
    assert detect_encoding(body, "text/html; charset=windows-1251") == "utf-8"
    assert paragraph_text(body, "text/html; charset=windows-1251") == BODY


def test_utf_16_with_a_byte_order_mark_is_decoded() -> None:
    body = page().encode("utf-16")
    assert paragraph_text(body) == BODY


def test_stray_invalid_utf8_bytes_become_replacement_characters_and_the_rest_survives() -> None:
    body = page().encode("utf-8").replace("Астане".encode(), b"\xff\xfe")
    text = paragraph_text(body, "text/html; charset=utf-8")
    assert "в \ufffd\ufffd по итогам" in text
    assert text.endswith("по транспорту и логистике.")


def test_a_windows_1251_page_wrongly_sent_as_utf8_is_detected() -> None:
    body = page().encode("windows-1251")
    assert paragraph_text(body, "text/html; charset=utf-8") == BODY


def test_an_xml_declaration_does_not_stop_parsing() -> None:
    body = ('<?xml version="1.0" encoding="utf-8"?>\n' + page()).encode("utf-8")
    assert paragraph_text(body) == BODY


def test_an_empty_body_is_no_document() -> None:
    assert parse_html(b"  \n") is None


def test_extracted_article_from_a_koi8_r_page_has_cyrillic_title_and_text() -> None:
    body = page('<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">').encode("koi8-r")
    article = extract_article(body, "https://example.az/ru/news/1/", {"Content-Type": "text/html"})
    assert article is not None
    assert article.title == HEADLINE
    assert article.text == f"{BODY}\n\n{SECOND}"
