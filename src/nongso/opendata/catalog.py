"""The DCAT-AP 3.0.1 catalogue as an RDF graph (pure: descriptions in, rdflib graph out).

The open-data build describes what it published with the dataclasses below; ``build_graph``
turns them into the catalogue, ``serialize`` into JSON-LD or Turtle. URIs are minted under the
installation's base URL:

- ``{base}/opendata/catalog`` the catalogue, ``{base}/opendata/publisher`` the publisher;
- ``{base}/opendata/datasets/{id}`` a dataset (every version of it), and
  ``{base}/opendata/datasets/{id}/v{n}`` version *n* (``dct:isVersionOf`` the former,
  ``dcat:previousVersion`` the version before, ``adms:versionNotes`` what changed);
- ``{base}/opendata/series/{id}`` a ``dcat:DatasetSeries`` whose members are datasets with
  ``dcat:inSeries``;
- ``{base}/opendata/units/{generation}/{code}`` an administrative unit (``2025`` for the units
  in force since 1 July 2025, ``legacy`` for the former ones): a ``dct:Location``. A 2025 unit
  formed by a merger ``dct:replaces`` its former units, which are described with their
  validity, so a dataset's spatial coverage names the unit of today and keeps its history.

Every node the catalogue points at carries its DCAT-AP class (licence, theme, frequency, media
type, file type, language, location, period), so that the range shapes can check them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from rdflib import BNode, Graph, Namespace, URIRef
from rdflib import Literal as Lit
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from nongso.opendata import vocab

DCAT = Namespace("http://www.w3.org/ns/dcat#")  # DCAT 3 (rdflib's DCAT is closed at DCAT 2)
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")

Generation = Literal["2025", "legacy"]


@dataclass(frozen=True)
class UnitRef:
    """An administrative unit of a dataset's spatial coverage."""

    code: str
    generation: Generation
    name: str
    level: str  # province | commune | district
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    lon: float | None = None
    lat: float | None = None
    replaces: tuple[UnitRef, ...] = ()


@dataclass(frozen=True)
class DistributionSpec:
    format: str  # a key of vocab.FORMATS
    file_name: str
    byte_size: int
    sha256: str
    rows: int


@dataclass(frozen=True)
class DatasetSpec:
    id: str
    version: int
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    keywords_vi: tuple[str, ...]
    keywords_en: tuple[str, ...]
    themes: tuple[str, ...]  # keys of vocab.THEMES
    frequency: str  # a key of vocab.FREQUENCIES
    issued: dt.datetime
    modified: dt.datetime
    distributions: tuple[DistributionSpec, ...]
    spatial: tuple[UnitRef, ...] = ()
    temporal: tuple[dt.date, dt.date] | None = None
    previous_version: int | None = None
    version_notes_vi: str = ""
    version_notes_en: str = ""
    series: str | None = None  # the id of the series it is a member of
    suppressed_rows: int = 0


@dataclass(frozen=True)
class SeriesSpec:
    id: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    frequency: str
    themes: tuple[str, ...]
    keywords_vi: tuple[str, ...] = ()
    keywords_en: tuple[str, ...] = ()
    spatial: tuple[UnitRef, ...] = ()
    temporal: tuple[dt.date, dt.date] | None = None
    members: tuple[str, ...] = ()  # dataset ids, oldest first


@dataclass(frozen=True)
class CatalogueSpec:
    base_url: str
    version: int
    issued: dt.datetime
    modified: dt.datetime
    publisher_vi: str
    publisher_en: str
    contact_name: str
    contact_email: str
    licence: str
    title_vi: str = "Dữ liệu mở nông nghiệp"
    title_en: str = "Agricultural open data"
    description_vi: str = ""
    description_en: str = ""
    datasets: tuple[DatasetSpec, ...] = ()
    series: tuple[SeriesSpec, ...] = field(default_factory=tuple)


class Uris:
    """The URIs minted under the base URL."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/") + "/opendata"

    def catalogue(self) -> URIRef:
        return URIRef(f"{self.base}/catalog")

    def publisher(self) -> URIRef:
        return URIRef(f"{self.base}/publisher")

    def dataset(self, dataset_id: str, version: int | None = None) -> URIRef:
        tail = f"/v{version}" if version is not None else ""
        return URIRef(f"{self.base}/datasets/{dataset_id}{tail}")

    def page(self, dataset_id: str) -> URIRef:
        return URIRef(f"{self.base}/datasets/{dataset_id}.html")

    def series(self, series_id: str) -> URIRef:
        return URIRef(f"{self.base}/series/{series_id}")

    def distribution(self, dataset_id: str, version: int, fmt: str) -> URIRef:
        return URIRef(f"{self.base}/datasets/{dataset_id}/v{version}/distributions/{fmt}")

    def download(self, dataset_id: str, version: int, file_name: str) -> URIRef:
        return URIRef(f"{self.base}/files/v{version}/{dataset_id}/{file_name}")

    def unit(self, generation: str, code: str) -> URIRef:
        return URIRef(f"{self.base}/units/{generation}/{code}")

    def home(self) -> URIRef:
        return URIRef(f"{self.base}")


def _date(value: dt.datetime | dt.date) -> Lit:
    if isinstance(value, dt.datetime):
        return Lit(value.astimezone(dt.UTC).replace(microsecond=0).isoformat()
                   .replace("+00:00", "Z"), datatype=XSD.dateTime)
    return Lit(value.isoformat(), datatype=XSD.date)


def _texts(g: Graph, node: URIRef | BNode, prop: URIRef, vi: str, en: str) -> None:
    if vi:
        g.add((node, prop, Lit(vi, lang="vi")))
    if en:
        g.add((node, prop, Lit(en, lang="en")))


def _term(g: Graph, term: vocab.Term, cls: URIRef, scheme: str | None = None) -> URIRef:
    node = URIRef(term.uri)
    g.add((node, RDF.type, cls))
    if cls == SKOS.Concept:
        g.add((node, SKOS.prefLabel, Lit(term.label_en, lang="en")))
        g.add((node, SKOS.prefLabel, Lit(term.label_vi, lang="vi")))
        if scheme:
            g.add((node, SKOS.inScheme, URIRef(scheme)))
    else:
        g.add((node, RDFS.label, Lit(term.label_en, lang="en")))
        g.add((node, RDFS.label, Lit(term.label_vi, lang="vi")))
    return node


def _unit(g: Graph, uris: Uris, unit: UnitRef) -> URIRef:
    node = uris.unit(unit.generation, unit.code)
    if (node, RDF.type, DCTERMS.Location) in g:
        return node
    g.add((node, RDF.type, DCTERMS.Location))
    g.add((node, SKOS.prefLabel, Lit(unit.name, lang="vi")))
    g.add((node, DCTERMS.identifier, Lit(unit.code)))
    g.add((node, DCTERMS.type, Lit(unit.level)))
    if unit.lon is not None and unit.lat is not None:
        g.add((node, DCAT.centroid, Lit(f"POINT({unit.lon:.5f} {unit.lat:.5f})",
                                        datatype=GSP.wktLiteral)))
    if unit.valid_from or unit.valid_to:
        period = BNode()
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if unit.valid_from:
            g.add((period, DCAT.startDate, _date(unit.valid_from)))
        if unit.valid_to:
            g.add((period, DCAT.endDate, _date(unit.valid_to)))
        g.add((node, DCTERMS.valid, period))
    for old in unit.replaces:
        g.add((node, DCTERMS.replaces, _unit(g, uris, old)))
        g.add((uris.unit(old.generation, old.code), DCTERMS.isReplacedBy, node))
    return node


def _period(g: Graph, start: dt.date, end: dt.date) -> BNode:
    node = BNode()
    g.add((node, RDF.type, DCTERMS.PeriodOfTime))
    g.add((node, DCAT.startDate, _date(start)))
    g.add((node, DCAT.endDate, _date(end)))
    return node


def _common(g: Graph, uris: Uris, node: URIRef, spec: DatasetSpec | SeriesSpec,
            cat: CatalogueSpec, contact: BNode) -> None:
    _texts(g, node, DCTERMS.title, spec.title_vi, spec.title_en)
    _texts(g, node, DCTERMS.description, spec.description_vi, spec.description_en)
    for kw in spec.keywords_vi:
        g.add((node, DCAT.keyword, Lit(kw, lang="vi")))
    for kw in spec.keywords_en:
        g.add((node, DCAT.keyword, Lit(kw, lang="en")))
    for key in spec.themes:
        g.add((node, DCAT.theme, _term(g, vocab.THEMES[key], SKOS.Concept,
                                       vocab.THEME_SCHEME)))
    g.add((node, DCTERMS.accrualPeriodicity,
           _term(g, vocab.FREQUENCIES[spec.frequency], DCTERMS.Frequency)))
    g.add((node, DCTERMS.publisher, uris.publisher()))
    g.add((node, DCAT.contactPoint, contact))
    for unit in spec.spatial:
        g.add((node, DCTERMS.spatial, _unit(g, uris, unit)))
    if spec.temporal:
        g.add((node, DCTERMS.temporal, _period(g, *spec.temporal)))
    for lang in ("vi", "en"):
        g.add((node, DCTERMS.language, _term(g, vocab.LANGUAGES[lang],
                                             DCTERMS.LinguisticSystem)))


def _distribution(g: Graph, uris: Uris, ds: DatasetSpec, dist: DistributionSpec,
                  licence: URIRef) -> URIRef:
    fmt = vocab.FORMATS[dist.format]
    node = uris.distribution(ds.id, ds.version, dist.format)
    url = uris.download(ds.id, ds.version, dist.file_name)
    g.add((node, RDF.type, DCAT.Distribution))
    g.add((node, DCAT.accessURL, url))
    g.add((node, DCAT.downloadURL, url))
    g.add((node, DCTERMS.title, Lit(f"{ds.title_vi} ({fmt.label})", lang="vi")))
    g.add((node, DCTERMS.title, Lit(f"{ds.title_en} ({fmt.label})", lang="en")))
    g.add((node, DCTERMS.format, _term(g, vocab.Term(fmt.file_type, fmt.label, fmt.label),
                                       DCTERMS.MediaTypeOrExtent)))
    media = URIRef(vocab.media_type_uri(fmt.media_type))
    g.add((media, RDF.type, DCTERMS.MediaType))
    g.add((media, RDFS.label, Lit(fmt.media_type)))
    g.add((node, DCAT.mediaType, media))
    if fmt.conforms_to:
        standard = URIRef(fmt.conforms_to)
        g.add((standard, RDF.type, DCTERMS.Standard))
        g.add((node, DCTERMS.conformsTo, standard))
    g.add((node, DCAT.byteSize, Lit(dist.byte_size, datatype=XSD.nonNegativeInteger)))
    checksum = BNode()
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, URIRef(vocab.SPDX_SHA256)))
    g.add((checksum, SPDX.checksumValue, Lit(dist.sha256, datatype=XSD.hexBinary)))
    g.add((node, SPDX.checksum, checksum))
    g.add((node, DCTERMS.license, licence))
    g.add((node, DCTERMS.issued, _date(ds.issued)))
    g.add((node, DCTERMS.modified, _date(ds.modified)))
    return node


def build_graph(cat: CatalogueSpec) -> Graph:
    """The whole catalogue: catalogue, publisher, contact, datasets, series, distributions."""
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("skos", SKOS),
                       ("adms", ADMS), ("spdx", SPDX), ("vcard", VCARD), ("locn", LOCN),
                       ("gsp", GSP)):
        g.bind(prefix, ns)
    uris = Uris(cat.base_url)
    catalogue = uris.catalogue()
    licence = _term(g, vocab.LICENCES.get(cat.licence)
                    or vocab.Term(cat.licence, cat.licence, cat.licence), DCTERMS.LicenseDocument)

    publisher = uris.publisher()
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, RDF.type, FOAF.Organization))
    g.add((publisher, FOAF.name, Lit(cat.publisher_vi, lang="vi")))
    g.add((publisher, FOAF.name, Lit(cat.publisher_en, lang="en")))
    g.add((publisher, DCTERMS.type, _term(g, vocab.PUBLISHER_TYPE, SKOS.Concept)))

    contact = BNode()
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Lit(cat.contact_name)))
    g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{cat.contact_email}")))

    g.add((catalogue, RDF.type, DCAT.Catalog))
    _texts(g, catalogue, DCTERMS.title, cat.title_vi, cat.title_en)
    _texts(g, catalogue, DCTERMS.description, cat.description_vi or cat.title_vi,
           cat.description_en or cat.title_en)
    g.add((catalogue, DCTERMS.publisher, publisher))
    g.add((catalogue, DCTERMS.license, licence))
    g.add((catalogue, DCTERMS.issued, _date(cat.issued)))
    g.add((catalogue, DCTERMS.modified, _date(cat.modified)))
    g.add((catalogue, DCAT.version, Lit(str(cat.version))))
    home = uris.home()
    g.add((home, RDF.type, FOAF.Document))
    g.add((catalogue, FOAF.homepage, home))
    scheme = URIRef(vocab.THEME_SCHEME)
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, DCTERMS.title, Lit("Data theme", lang="en")))
    g.add((catalogue, DCAT.themeTaxonomy, scheme))
    for lang in ("vi", "en"):
        g.add((catalogue, DCTERMS.language, _term(g, vocab.LANGUAGES[lang],
                                                  DCTERMS.LinguisticSystem)))

    for series in cat.series:
        node = uris.series(series.id)
        g.add((node, RDF.type, DCAT.DatasetSeries))
        g.add((node, RDF.type, DCAT.Dataset))
        _common(g, uris, node, series, cat, contact)
        g.add((node, DCTERMS.issued, _date(cat.issued)))
        g.add((node, DCTERMS.modified, _date(cat.modified)))
        members = [d for d in cat.datasets if d.series == series.id]
        if members:
            g.add((node, DCAT.first, uris.dataset(members[0].id, members[0].version)))
            g.add((node, DCAT.last, uris.dataset(members[-1].id, members[-1].version)))
        g.add((catalogue, DCAT.dataset, node))

    previous_member: URIRef | None = None
    previous_series: str | None = None
    for ds in cat.datasets:
        node = uris.dataset(ds.id, ds.version)
        g.add((node, RDF.type, DCAT.Dataset))
        _common(g, uris, node, ds, cat, contact)
        g.add((node, DCTERMS.identifier, Lit(f"{ds.id}/v{ds.version}")))
        g.add((node, DCTERMS.issued, _date(ds.issued)))
        g.add((node, DCTERMS.modified, _date(ds.modified)))
        g.add((node, DCAT.version, Lit(str(ds.version))))
        g.add((node, DCTERMS.isVersionOf, uris.dataset(ds.id)))
        if ds.previous_version is not None:
            g.add((node, DCAT.previousVersion, uris.dataset(ds.id, ds.previous_version)))
        _texts(g, node, ADMS.versionNotes, ds.version_notes_vi, ds.version_notes_en)
        page = uris.page(ds.id)
        g.add((page, RDF.type, FOAF.Document))
        g.add((node, DCAT.landingPage, page))
        for dist in ds.distributions:
            g.add((node, DCAT.distribution, _distribution(g, uris, ds, dist, licence)))
        if ds.series:
            g.add((node, DCAT.inSeries, uris.series(ds.series)))
            if previous_series == ds.series and previous_member is not None:
                g.add((node, DCAT.prev, previous_member))
            previous_member, previous_series = node, ds.series
        g.add((catalogue, DCAT.dataset, node))
    return g


CONTEXT = {
    "dcat": str(DCAT), "dct": str(DCTERMS), "foaf": str(FOAF), "skos": str(SKOS),
    "adms": str(ADMS), "spdx": str(SPDX), "vcard": str(VCARD), "xsd": str(XSD),
    "rdfs": str(RDFS), "locn": str(LOCN), "gsp": str(GSP),
}


def serialize(g: Graph, fmt: Literal["jsonld", "ttl"]) -> bytes:
    """The catalogue as JSON-LD (compacted with the prefixes above) or Turtle."""
    if fmt == "jsonld":
        return g.serialize(format="json-ld", context=CONTEXT, auto_compact=True).encode()
    return g.serialize(format="turtle").encode()
