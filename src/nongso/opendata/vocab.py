"""The controlled vocabularies the catalogue speaks (pure data, no I/O).

DCAT-AP 3.0.1 asks for the EU Publications Office authority tables (data themes, update
frequencies, file types, licences, languages) and IANA media types by URI. The labels are
those of the tables; only the entries the platform uses are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"


@dataclass(frozen=True)
class Term:
    uri: str
    label_en: str
    label_vi: str


# EU data themes (authority table "data-theme").
THEMES: dict[str, Term] = {
    "AGRI": Term(EU + "data-theme/AGRI", "Agriculture, fisheries, forestry and food",
                 "Nông nghiệp, thủy sản, lâm nghiệp và thực phẩm"),
    "ENVI": Term(EU + "data-theme/ENVI", "Environment", "Môi trường"),
    "REGI": Term(EU + "data-theme/REGI", "Regions and cities", "Vùng và đô thị"),
    "ECON": Term(EU + "data-theme/ECON", "Economy and finance", "Kinh tế và tài chính"),
    "GOVE": Term(EU + "data-theme/GOVE", "Government and public sector",
                 "Chính phủ và khu vực công"),
}
THEME_SCHEME = EU + "data-theme"

# EU update frequencies (authority table "frequency").
FREQUENCIES: dict[str, Term] = {
    "UPDATE_CONT": Term(EU + "frequency/UPDATE_CONT", "continuously updated",
                        "cập nhật liên tục"),
    "DAILY": Term(EU + "frequency/DAILY", "daily", "hằng ngày"),
    "WEEKLY": Term(EU + "frequency/WEEKLY", "weekly", "hằng tuần"),
    "MONTHLY": Term(EU + "frequency/MONTHLY", "monthly", "hằng tháng"),
    "ANNUAL_3": Term(EU + "frequency/ANNUAL_3", "three times a year", "ba lần mỗi năm"),
    "ANNUAL": Term(EU + "frequency/ANNUAL", "annual", "hằng năm"),
    "IRREG": Term(EU + "frequency/IRREG", "irregular", "không đều"),
}


@dataclass(frozen=True)
class Format:
    """A distribution format: the EU file type, the IANA media type and a file suffix."""

    key: str
    file_type: str
    media_type: str
    suffix: str
    label: str
    conforms_to: str | None = None


FORMATS: dict[str, Format] = {
    "csv": Format("csv", EU + "file-type/CSV", "text/csv", ".csv", "CSV"),
    "parquet": Format("parquet", EU + "file-type/PARQUET", "application/vnd.apache.parquet",
                      ".parquet", "Parquet"),
    "geojson": Format("geojson", EU + "file-type/GEOJSON", "application/geo+json", ".geojson",
                      "GeoJSON", "https://www.rfc-editor.org/rfc/rfc7946"),
    "geoparquet": Format("geoparquet", EU + "file-type/PARQUET",
                         "application/vnd.apache.parquet", ".geoparquet", "GeoParquet",
                         "https://geoparquet.org/releases/v1.1.0/"),
}


def media_type_uri(media_type: str) -> str:
    return IANA + media_type


# Licences the province may choose (any URI is accepted; these have labels).
LICENCES: dict[str, Term] = {
    EU + "licence/CC_BY_4_0": Term(EU + "licence/CC_BY_4_0", "Creative Commons Attribution 4.0",
                                   "Creative Commons Ghi công 4.0"),
    EU + "licence/CC0": Term(EU + "licence/CC0", "Creative Commons CC0 1.0",
                             "Creative Commons CC0 1.0 (từ bỏ quyền)"),
    EU + "licence/ODC_BY": Term(EU + "licence/ODC_BY", "Open Data Commons Attribution",
                                "Open Data Commons Ghi công"),
}
DEFAULT_LICENCE = EU + "licence/CC_BY_4_0"

LANGUAGES: dict[str, Term] = {
    "vi": Term(EU + "language/VIE", "Vietnamese", "Tiếng Việt"),
    "en": Term(EU + "language/ENG", "English", "Tiếng Anh"),
}

# ADMS publisher type of a province's department.
PUBLISHER_TYPE = Term("http://purl.org/adms/publishertype/RegionalAuthority",
                      "Regional authority", "Cơ quan cấp tỉnh")

SPDX_SHA256 = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
