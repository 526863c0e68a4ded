"""Use case: GS1 identifiers — an organisation's company prefix, and the GTINs, GLNs and SSCCs
allocated under it; the Digital Link URI of a lot or item on this installation's resolver.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nongso.core import audit
from nongso.core.errors import Conflict, FieldError, ValidationFailed
from nongso.core.permissions import deny, require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.trace import epcis, store
from nongso.trace.digital_link import (
    DigitalLink,
    build_digital_link,
    parse_digital_link,
    parse_element_string,
)
from nongso.trace.gs1 import GS1Error, check_digit, make_gtin
from nongso.trace.models import CompanyPrefix, Location, Product
from nongso.trace.schemas import CompanyPrefixSet


def _prefix(session: Session, organisation_id: int | None) -> str:
    if organisation_id is not None:
        own = session.get(CompanyPrefix, organisation_id)
        if own is not None:
            return own.prefix
    return get_settings().gs1_company_prefix


def _allocate_gtin(session: Session, prefix: str) -> str:
    room = 12 - len(prefix)
    while True:
        (n,) = store.next_values(session, f"item:{prefix}")
        if n >= 10 ** room:
            raise Conflict(
                f"Đã dùng hết mã mặt hàng của tiền tố GS1 {prefix}.",
                f"The item references of the GS1 prefix {prefix} are used up.",
            )
        gtin = make_gtin(prefix, str(n))
        if session.scalar(select(Product.id).where(Product.gtin == gtin)) is None:
            return gtin


def _allocate_gln(session: Session, prefix: str) -> str:
    room = 12 - len(prefix)
    while True:
        (n,) = store.next_values(session, f"location:{prefix}")
        if n >= 10 ** room:
            raise Conflict(
                f"Đã dùng hết mã địa điểm của tiền tố GS1 {prefix}.",
                f"The location references of the GS1 prefix {prefix} are used up.",
            )
        body = prefix + str(n).zfill(room)
        gln = body + check_digit(body)
        if session.scalar(select(Location.id).where(Location.gln == gln)) is None:
            return gln


def _gs1_field_error(exc: GS1Error, field: str) -> ValidationFailed:
    return ValidationFailed(exc.message_vi, exc.message_en,
                            [FieldError(field, exc.message_vi, exc.message_en)])


def digital_link(gtin: str, lot: str | None = None, serial: str | None = None) -> str:
    """The lot's (or item's) GS1 Digital Link URI on this installation's resolver."""
    resolver = get_settings().base_url.split("://", 1)[-1].rstrip("/")
    uri = build_digital_link(gtin, lot=lot, serial=serial, resolver=resolver)
    if get_settings().base_url.startswith("http://"):
        uri = "http://" + uri[len("https://"):]
    return uri


def _canonical(epc_uri: str) -> str:
    """The form events index an identifier in (see :func:`epcis.normalise_id`)."""
    return epcis.normalise_id(epc_uri)


def set_company_prefix(uow: UnitOfWork, organisation_id: int, data: CompanyPrefixSet) -> str:
    """Record the GS1 company prefix of an organisation (province officers, admins)."""
    require_role(uow.principal, "province_officer")
    with uow:
        scope = registry.organisation_scope(uow, organisation_id)
        if not uow.principal.covers_unit(scope.commune_code, scope.province_code):
            raise deny()  # another province's organisation
        taken = uow.session.scalar(select(CompanyPrefix.organisation_id).where(
            CompanyPrefix.prefix == data.prefix))
        if taken is not None and taken != organisation_id:
            raise Conflict(f"Tiền tố GS1 {data.prefix} đã thuộc tổ chức #{taken}.",
                           f"The GS1 prefix {data.prefix} already belongs to #{taken}.",
                           [FieldError("prefix", "Đã được dùng", "Already used")])
        row = uow.session.get(CompanyPrefix, organisation_id)
        if row is None:
            uow.session.add(CompanyPrefix(organisation_id=organisation_id, prefix=data.prefix))
        else:
            row.prefix = data.prefix
        audit.record(uow.session, "set_prefix", "trace_company_prefixes", str(organisation_id),
                     {"prefix": data.prefix})
        uow.commit()
        return data.prefix


def _allocate_sscc(session: Session, organisation_id: int | None) -> tuple[str, str]:
    """An SSCC-18 (extension digit 0) and its EPC URI."""
    prefix = _prefix(session, organisation_id)
    (n,) = store.next_values(session, f"sscc:{prefix}")
    reference = str(n).zfill(16 - len(prefix))
    body = "0" + prefix + reference
    return body + check_digit(body), f"urn:epc:id:sscc:{prefix}.0{reference}"


def parse_gs1_code(text: str) -> tuple[str, str | None, str | None]:
    """The (GTIN-14, lot, serial) of a scanned GS1 code: a Digital Link URI, an element
    string "(01)…[(10)…][(21)…]" or a bare GTIN-8/12/13/14 (for the scanner of the vision
    domain). Raises ValidationFailed (vi/en) naming the GS1 rule the code breaks: a wrong
    check digit, a lot outside GS1's character set, a path that is not a Digital Link…"""
    try:
        if text.lower().startswith(("http://", "https://")):
            link = parse_digital_link(text)
        elif text.startswith("("):
            link = parse_element_string(text)
        else:
            link = DigitalLink(text)
    except GS1Error as exc:
        raise _gs1_field_error(exc, "code") from exc
    return link.gtin, link.lot, link.serial
