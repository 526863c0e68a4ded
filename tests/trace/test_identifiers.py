"""GS1 identifiers and Digital Link URIs: check digits, validation reasons, round trips
(hypothesis property tests) and the EPC URI forms."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nongso.trace.digital_link import (
    DigitalLink,
    DigitalLinkError,
    build_digital_link,
    from_epc_uri,
    parse_digital_link,
    parse_element_string,
    to_element_string,
    to_epc_uri,
)
from nongso.trace.event_hash import canonical_gs1_uri
from nongso.trace.gs1 import (
    AI82_CHARACTERS,
    GS1Error,
    check_digit,
    has_valid_check_digit,
    is_valid_gln,
    is_valid_gtin,
    lgtin_uri,
    make_gtin,
    make_lot_code,
    normalise_gtin,
    parse_lgtin_uri,
    parse_sgln_uri,
    parse_sgtin_uri,
    sgln_uri,
    sgtin_uri,
    validate_lot,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=17)
ai82 = st.text(alphabet=AI82_CHARACTERS, min_size=1, max_size=20)


def _with_check(body: str) -> str:
    return body + check_digit(body)


gtins = st.sampled_from([7, 11, 12, 13]).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)).map(_with_check)


# --- check digits ------------------------------------------------------------------------------

def test_known_gtins_and_glns() -> None:
    # Published examples: GS1's GTIN-13 4006381333931 and GS1 Viet Nam style 893…
    assert check_digit("400638133393") == "1"
    assert is_valid_gtin("4006381333931")
    assert normalise_gtin("4006381333931") == "04006381333931"
    assert is_valid_gtin("96385074")  # GTIN-8 example of the GS1 General Specifications
    assert is_valid_gln(_with_check("893123400001"))


@pytest.mark.parametrize(("gtin", "code"), [
    ("4006381333932", "gtin-check-digit"),
    ("40063813339", "gtin-length"),
    ("40063813339a1", "gtin-not-digits"),
    ("", "gtin-not-digits"),
    ("٤٠٠٦٣٨١٣٣٣٩٣١", "gtin-not-digits"),  # Arabic-Indic digits are not GS1 digits
])
def test_invalid_gtins_are_rejected_with_the_reason(gtin: str, code: str) -> None:
    with pytest.raises(GS1Error) as caught:
        normalise_gtin(gtin)
    assert caught.value.code == code
    assert caught.value.message("vi") != caught.value.message("en")
    assert "GTIN" in caught.value.message("vi")


@given(gtins)
def test_every_gtin_with_its_check_digit_is_valid(gtin: str) -> None:
    assert is_valid_gtin(gtin)
    assert len(normalise_gtin(gtin)) == 14
    assert normalise_gtin(normalise_gtin(gtin)) == normalise_gtin(gtin)


@given(gtins, st.integers(min_value=0, max_value=12), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_breaks_the_check_digit(gtin: str, position: int, delta: int) -> None:
    assume(position < len(gtin))
    changed = gtin[:position] + str((int(gtin[position]) + delta) % 10) + gtin[position + 1:]
    assert not has_valid_check_digit(changed)


@given(st.text(alphabet="0123456789", min_size=7, max_size=10),
       st.integers(min_value=0, max_value=99))
def test_made_gtins_are_valid_and_keep_the_prefix(prefix: str, item: int) -> None:
    room = 12 - len(prefix)
    assume(item < 10 ** room)
    gtin = make_gtin(prefix, str(item))
    assert is_valid_gtin(gtin) and gtin[1:].startswith(prefix)


# --- lots and serials ---------------------------------------------------------------------------

@pytest.mark.parametrize(("lot", "code"), [
    ("Lúa-ST25", "lot-diacritic"), ("LO 1", "lot-space"), ("A" * 21, "lot-too-long"),
    ("", "lot-empty"), ("LÔ#1", "lot-diacritic"), ("A#1", "lot-invalid-char"),
])
def test_lots_outside_the_82_character_set_are_rejected(lot: str, code: str) -> None:
    with pytest.raises(GS1Error) as caught:
        validate_lot(lot)
    assert caught.value.code == code


def test_lot_codes_from_vietnamese_labels() -> None:
    assert make_lot_code("Lúa ST25 vụ Đông Xuân") == "LUA-ST25-VU-DONG-XUA"
    assert make_lot_code("Xoài Cát Hòa Lộc — lô 12/3") == "XOAI-CAT-HOA-LOC-LO"  # cut at 20


@given(st.text(min_size=1, max_size=60))
def test_any_label_with_a_letter_gives_a_valid_lot_code(label: str) -> None:
    try:
        code = make_lot_code(label)
    except GS1Error:
        return
    assert validate_lot(code) == code


# --- Digital Link ------------------------------------------------------------------------------

@settings(max_examples=200)
@given(gtins, st.one_of(st.none(), ai82), st.one_of(st.none(), ai82))
def test_digital_link_round_trip(gtin: str, lot: str | None, serial: str | None) -> None:
    uri = build_digital_link(gtin, lot=lot, serial=serial, resolver="truyxuat.dongthap.example")
    assert uri.startswith("https://truyxuat.dongthap.example/01/" + normalise_gtin(gtin))
    parsed = parse_digital_link(uri)
    assert parsed == DigitalLink(gtin, lot=lot, serial=serial)
    assert parse_element_string(to_element_string(parsed)) == parsed


@settings(max_examples=100)
@given(gtins, st.text(alphabet="ABCXYZabcxyz0123456789-._", min_size=1, max_size=20),
       st.sampled_from([7, 8, 9, 10]))
def test_epc_uris_round_trip_and_canonicalise_like_the_hash(gtin: str, value: str,
                                                            prefix_length: int) -> None:
    lot = DigitalLink(gtin, lot=value)
    item = DigitalLink(gtin, serial=value)
    lgtin, sgtin = to_epc_uri(lot, prefix_length), to_epc_uri(item, prefix_length)
    assert from_epc_uri(lgtin) == lot and from_epc_uri(sgtin) == item
    assert parse_lgtin_uri(lgtin).lot == value and parse_sgtin_uri(sgtin).serial == value
    # The hash algorithm's canonical form of the EPC URI is the link on id.gs1.org.
    assert canonical_gs1_uri(sgtin) == canonical_gs1_uri(item.uri())


def test_digital_link_parsing_accepts_short_forms_and_rejects_the_wrong_ones() -> None:
    link = parse_digital_link("https://example.vn/dl/gtin/4006381333931/lot/L%2F1?linkType=all")
    assert link == DigitalLink("04006381333931", lot="L/1")
    for bad, code in [
        ("ftp://x/01/04006381333931", "dl-scheme"),
        ("https://x/10/ABC", "dl-no-gtin"),
        ("https://x/01/4006381333932", "gtin-check-digit"),
        ("https://x/01/04006381333931/21/1/10/A", "dl-order"),
        ("https://x/01/04006381333931/99/A", "dl-qualifier"),
        ("https://x/01/04006381333931/10/L%C3%BAa", "lot-diacritic"),
    ]:
        with pytest.raises(GS1Error) as caught:
            parse_digital_link(bad)
        assert caught.value.code == code, bad
    with pytest.raises(DigitalLinkError):
        build_digital_link("04006381333931", lot="A", resolver="https://x")


def test_sgln_round_trip() -> None:
    gln = _with_check("952820000001")
    uri = sgln_uri(gln, 7)
    assert uri == "urn:epc:id:sgln:9528200.00001.0"
    assert parse_sgln_uri(uri).gln == gln
    assert canonical_gs1_uri(uri) == f"https://id.gs1.org/414/{gln}"
    assert lgtin_uri("09528200000015", "HV-1", 7) == "urn:epc:class:lgtin:9528200.000001.HV-1"
    assert sgtin_uri("09528200000015", "7", 7) == "urn:epc:id:sgtin:9528200.000001.7"
