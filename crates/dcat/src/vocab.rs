//! The vocabulary terms the mapping reads and writes, one constant per term.

use oxrdf::NamedNodeRef;

const fn term(iri: &'static str) -> NamedNodeRef<'static> {
    NamedNodeRef::new_unchecked(iri)
}

/// Prefixes declared in Turtle, RDF/XML and JSON-LD output.
pub const PREFIXES: &[(&str, &str)] = &[
    ("adms", "http://www.w3.org/ns/adms#"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dcatap", "http://data.europa.eu/r5r/"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("gsp", "http://www.opengis.net/ont/geosparql#"),
    ("hydra", "http://www.w3.org/ns/hydra/core#"),
    ("locn", "http://www.w3.org/ns/locn#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("spdx", "http://spdx.org/rdf/terms#"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

pub mod rdf {
    pub use oxrdf::vocab::rdf::{TYPE, VALUE};
}

pub mod rdfs {
    pub use oxrdf::vocab::rdfs::{LABEL, RESOURCE};
}

pub mod xsd {
    pub use oxrdf::vocab::xsd::{
        DATE, DATE_TIME, DECIMAL, DURATION, G_YEAR, G_YEAR_MONTH, HEX_BINARY, INTEGER, NON_NEGATIVE_INTEGER,
    };
}

pub mod dcat {
    use super::{NamedNodeRef, term};
    pub const CATALOG: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#Catalog");
    pub const DATASET: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#Dataset");
    pub const DATASET_SERIES: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#DatasetSeries");
    pub const DISTRIBUTION: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#Distribution");
    pub const DATASET_LINK: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#dataset");
    pub const DISTRIBUTION_LINK: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#distribution");
    pub const KEYWORD: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#keyword");
    pub const LANDING_PAGE: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#landingPage");
    pub const THEME: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#theme");
    pub const CONTACT_POINT: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#contactPoint");
    pub const ACCESS_URL: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#accessURL");
    pub const DOWNLOAD_URL: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#downloadURL");
    pub const MEDIA_TYPE: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#mediaType");
    pub const BYTE_SIZE: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#byteSize");
    pub const VERSION: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#version");
    pub const HAS_VERSION: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#hasVersion");
    pub const START_DATE: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#startDate");
    pub const END_DATE: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#endDate");
    pub const BBOX: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#bbox");
    pub const CENTROID: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#centroid");
    pub const TEMPORAL_RESOLUTION: NamedNodeRef<'static> =
        term("http://www.w3.org/ns/dcat#temporalResolution");
    pub const SPATIAL_RESOLUTION: NamedNodeRef<'static> =
        term("http://www.w3.org/ns/dcat#spatialResolutionInMeters");
    pub const COMPRESS_FORMAT: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#compressFormat");
    pub const PACKAGE_FORMAT: NamedNodeRef<'static> = term("http://www.w3.org/ns/dcat#packageFormat");
}

pub mod dct {
    use super::{NamedNodeRef, term};
    pub const TITLE: NamedNodeRef<'static> = term("http://purl.org/dc/terms/title");
    pub const DESCRIPTION: NamedNodeRef<'static> = term("http://purl.org/dc/terms/description");
    pub const IDENTIFIER: NamedNodeRef<'static> = term("http://purl.org/dc/terms/identifier");
    pub const ISSUED: NamedNodeRef<'static> = term("http://purl.org/dc/terms/issued");
    pub const MODIFIED: NamedNodeRef<'static> = term("http://purl.org/dc/terms/modified");
    pub const LANGUAGE: NamedNodeRef<'static> = term("http://purl.org/dc/terms/language");
    pub const ACCRUAL_PERIODICITY: NamedNodeRef<'static> =
        term("http://purl.org/dc/terms/accrualPeriodicity");
    pub const CONFORMS_TO: NamedNodeRef<'static> = term("http://purl.org/dc/terms/conformsTo");
    pub const RELATION: NamedNodeRef<'static> = term("http://purl.org/dc/terms/relation");
    pub const HAS_VERSION: NamedNodeRef<'static> = term("http://purl.org/dc/terms/hasVersion");
    pub const IS_VERSION_OF: NamedNodeRef<'static> = term("http://purl.org/dc/terms/isVersionOf");
    pub const IS_REFERENCED_BY: NamedNodeRef<'static> = term("http://purl.org/dc/terms/isReferencedBy");
    pub const SOURCE: NamedNodeRef<'static> = term("http://purl.org/dc/terms/source");
    pub const TYPE: NamedNodeRef<'static> = term("http://purl.org/dc/terms/type");
    pub const PROVENANCE: NamedNodeRef<'static> = term("http://purl.org/dc/terms/provenance");
    pub const ACCESS_RIGHTS: NamedNodeRef<'static> = term("http://purl.org/dc/terms/accessRights");
    pub const PUBLISHER: NamedNodeRef<'static> = term("http://purl.org/dc/terms/publisher");
    pub const CREATOR: NamedNodeRef<'static> = term("http://purl.org/dc/terms/creator");
    pub const TEMPORAL: NamedNodeRef<'static> = term("http://purl.org/dc/terms/temporal");
    pub const SPATIAL: NamedNodeRef<'static> = term("http://purl.org/dc/terms/spatial");
    pub const LICENSE: NamedNodeRef<'static> = term("http://purl.org/dc/terms/license");
    pub const RIGHTS: NamedNodeRef<'static> = term("http://purl.org/dc/terms/rights");
    pub const FORMAT: NamedNodeRef<'static> = term("http://purl.org/dc/terms/format");
    pub const LINGUISTIC_SYSTEM: NamedNodeRef<'static> = term("http://purl.org/dc/terms/LinguisticSystem");
    pub const FREQUENCY: NamedNodeRef<'static> = term("http://purl.org/dc/terms/Frequency");
    pub const STANDARD: NamedNodeRef<'static> = term("http://purl.org/dc/terms/Standard");
    pub const PROVENANCE_STATEMENT: NamedNodeRef<'static> =
        term("http://purl.org/dc/terms/ProvenanceStatement");
    pub const RIGHTS_STATEMENT: NamedNodeRef<'static> = term("http://purl.org/dc/terms/RightsStatement");
    pub const PERIOD_OF_TIME: NamedNodeRef<'static> = term("http://purl.org/dc/terms/PeriodOfTime");
    pub const LOCATION: NamedNodeRef<'static> = term("http://purl.org/dc/terms/Location");
    pub const LICENSE_DOCUMENT: NamedNodeRef<'static> = term("http://purl.org/dc/terms/LicenseDocument");
    pub const MEDIA_TYPE: NamedNodeRef<'static> = term("http://purl.org/dc/terms/MediaType");
    pub const MEDIA_TYPE_OR_EXTENT: NamedNodeRef<'static> =
        term("http://purl.org/dc/terms/MediaTypeOrExtent");
    pub const IMT: NamedNodeRef<'static> = term("http://purl.org/dc/terms/IMT");
}

pub mod dc11 {
    use super::{NamedNodeRef, term};
    /// `dc:language`, which older exports use instead of `dct:language`.
    pub const LANGUAGE: NamedNodeRef<'static> = term("http://purl.org/dc/elements/1.1/language");
}

pub mod adms {
    use super::{NamedNodeRef, term};
    pub const IDENTIFIER: NamedNodeRef<'static> = term("http://www.w3.org/ns/adms#identifier");
    pub const IDENTIFIER_CLASS: NamedNodeRef<'static> = term("http://www.w3.org/ns/adms#Identifier");
    pub const VERSION_NOTES: NamedNodeRef<'static> = term("http://www.w3.org/ns/adms#versionNotes");
    pub const VERSION: NamedNodeRef<'static> = term("http://www.w3.org/ns/adms#version");
    pub const SAMPLE: NamedNodeRef<'static> = term("http://www.w3.org/ns/adms#sample");
    pub const STATUS: NamedNodeRef<'static> = term("http://www.w3.org/ns/adms#status");
    pub const CONTACT_POINT: NamedNodeRef<'static> = term("http://www.w3.org/ns/adms#contactPoint");
}

pub mod dcatap {
    use super::{NamedNodeRef, term};
    pub const APPLICABLE_LEGISLATION: NamedNodeRef<'static> =
        term("http://data.europa.eu/r5r/applicableLegislation");
    pub const HVD_CATEGORY: NamedNodeRef<'static> = term("http://data.europa.eu/r5r/hvdCategory");
    pub const AVAILABILITY: NamedNodeRef<'static> = term("http://data.europa.eu/r5r/availability");
    /// The class of `applicableLegislation` values (ELI).
    pub const LEGAL_RESOURCE: NamedNodeRef<'static> =
        term("http://data.europa.eu/eli/ontology#LegalResource");
}

pub mod foaf {
    use super::{NamedNodeRef, term};
    pub const AGENT: NamedNodeRef<'static> = term("http://xmlns.com/foaf/0.1/Agent");
    pub const ORGANIZATION: NamedNodeRef<'static> = term("http://xmlns.com/foaf/0.1/Organization");
    pub const DOCUMENT: NamedNodeRef<'static> = term("http://xmlns.com/foaf/0.1/Document");
    pub const NAME: NamedNodeRef<'static> = term("http://xmlns.com/foaf/0.1/name");
    pub const MBOX: NamedNodeRef<'static> = term("http://xmlns.com/foaf/0.1/mbox");
    pub const HOMEPAGE: NamedNodeRef<'static> = term("http://xmlns.com/foaf/0.1/homepage");
    pub const PAGE: NamedNodeRef<'static> = term("http://xmlns.com/foaf/0.1/page");
}

pub mod vcard {
    use super::{NamedNodeRef, term};
    pub const KIND: NamedNodeRef<'static> = term("http://www.w3.org/2006/vcard/ns#Kind");
    pub const FN: NamedNodeRef<'static> = term("http://www.w3.org/2006/vcard/ns#fn");
    pub const HAS_FN: NamedNodeRef<'static> = term("http://www.w3.org/2006/vcard/ns#hasFN");
    pub const HAS_EMAIL: NamedNodeRef<'static> = term("http://www.w3.org/2006/vcard/ns#hasEmail");
    pub const HAS_VALUE: NamedNodeRef<'static> = term("http://www.w3.org/2006/vcard/ns#hasValue");
    pub const HAS_UID: NamedNodeRef<'static> = term("http://www.w3.org/2006/vcard/ns#hasUID");
    pub const HAS_URL: NamedNodeRef<'static> = term("http://www.w3.org/2006/vcard/ns#hasURL");
}

pub mod skos {
    use super::{NamedNodeRef, term};
    pub const CONCEPT: NamedNodeRef<'static> = term("http://www.w3.org/2004/02/skos/core#Concept");
    pub const PREF_LABEL: NamedNodeRef<'static> = term("http://www.w3.org/2004/02/skos/core#prefLabel");
    pub const NOTATION: NamedNodeRef<'static> = term("http://www.w3.org/2004/02/skos/core#notation");
}

pub mod spdx {
    use super::{NamedNodeRef, term};
    pub const CHECKSUM_CLASS: NamedNodeRef<'static> = term("http://spdx.org/rdf/terms#Checksum");
    pub const CHECKSUM_ALGORITHM_CLASS: NamedNodeRef<'static> =
        term("http://spdx.org/rdf/terms#ChecksumAlgorithm");
    pub const CHECKSUM: NamedNodeRef<'static> = term("http://spdx.org/rdf/terms#checksum");
    pub const ALGORITHM: NamedNodeRef<'static> = term("http://spdx.org/rdf/terms#algorithm");
    pub const CHECKSUM_VALUE: NamedNodeRef<'static> = term("http://spdx.org/rdf/terms#checksumValue");
    /// Algorithm IRIs are this followed by the algorithm's name (`sha1`, `sha256`, `md5`, ...).
    pub const ALGORITHM_PREFIX: &str = "http://spdx.org/rdf/terms#checksumAlgorithm_";
}

pub mod locn {
    use super::{NamedNodeRef, term};
    pub const GEOMETRY: NamedNodeRef<'static> = term("http://www.w3.org/ns/locn#geometry");
    pub const GEOMETRY_CLASS: NamedNodeRef<'static> = term("http://www.w3.org/ns/locn#Geometry");
}

pub mod gsp {
    use super::{NamedNodeRef, term};
    pub const AS_WKT: NamedNodeRef<'static> = term("http://www.opengis.net/ont/geosparql#asWKT");
    pub const AS_GEOJSON: NamedNodeRef<'static> = term("http://www.opengis.net/ont/geosparql#asGeoJSON");
    pub const WKT_LITERAL: NamedNodeRef<'static> = term("http://www.opengis.net/ont/geosparql#wktLiteral");
    pub const GEOJSON_LITERAL: NamedNodeRef<'static> =
        term("http://www.opengis.net/ont/geosparql#geoJSONLiteral");
    /// The datatype ckanext-dcat gives GeoJSON geometries.
    pub const GEOJSON_MEDIA_TYPE: NamedNodeRef<'static> =
        term("https://www.iana.org/assignments/media-types/application/vnd.geo+json");
}

pub mod owl {
    use super::{NamedNodeRef, term};
    pub const VERSION_INFO: NamedNodeRef<'static> = term("http://www.w3.org/2002/07/owl#versionInfo");
}

pub mod hydra {
    use super::{NamedNodeRef, term};
    pub const PAGED_COLLECTION: NamedNodeRef<'static> =
        term("http://www.w3.org/ns/hydra/core#PagedCollection");
    pub const PARTIAL_COLLECTION_VIEW: NamedNodeRef<'static> =
        term("http://www.w3.org/ns/hydra/core#PartialCollectionView");
    pub const TOTAL_ITEMS: NamedNodeRef<'static> = term("http://www.w3.org/ns/hydra/core#totalItems");
    pub const ITEMS_PER_PAGE: NamedNodeRef<'static> = term("http://www.w3.org/ns/hydra/core#itemsPerPage");
    pub const FIRST: NamedNodeRef<'static> = term("http://www.w3.org/ns/hydra/core#first");
    pub const LAST: NamedNodeRef<'static> = term("http://www.w3.org/ns/hydra/core#last");
    pub const NEXT: NamedNodeRef<'static> = term("http://www.w3.org/ns/hydra/core#next");
    pub const PREVIOUS: NamedNodeRef<'static> = term("http://www.w3.org/ns/hydra/core#previous");
    pub const FIRST_PAGE: NamedNodeRef<'static> = term("http://www.w3.org/ns/hydra/core#firstPage");
    pub const LAST_PAGE: NamedNodeRef<'static> = term("http://www.w3.org/ns/hydra/core#lastPage");
    pub const NEXT_PAGE: NamedNodeRef<'static> = term("http://www.w3.org/ns/hydra/core#nextPage");
    pub const PREVIOUS_PAGE: NamedNodeRef<'static> = term("http://www.w3.org/ns/hydra/core#previousPage");
}

pub mod time {
    use super::{NamedNodeRef, term};
    pub const HAS_BEGINNING: NamedNodeRef<'static> = term("http://www.w3.org/2006/time#hasBeginning");
    pub const HAS_END: NamedNodeRef<'static> = term("http://www.w3.org/2006/time#hasEnd");
    pub const IN_XSD_DATE_TIME_STAMP: NamedNodeRef<'static> =
        term("http://www.w3.org/2006/time#inXSDDateTimeStamp");
    pub const IN_XSD_DATE_TIME: NamedNodeRef<'static> = term("http://www.w3.org/2006/time#inXSDDateTime");
    pub const IN_XSD_DATE: NamedNodeRef<'static> = term("http://www.w3.org/2006/time#inXSDDate");
}

pub mod schema {
    use super::{NamedNodeRef, term};
    pub const START_DATE: NamedNodeRef<'static> = term("http://schema.org/startDate");
    pub const END_DATE: NamedNodeRef<'static> = term("http://schema.org/endDate");
}

/// EU Publications Office authority tables (the vocabularies DCAT-AP recommends).
pub mod eu {
    pub const LANGUAGE: &str = "http://publications.europa.eu/resource/authority/language/";
    pub const FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/";
    pub const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
}

/// Where IANA media types live as IRIs.
pub const IANA_MEDIA_TYPES: &str = "https://www.iana.org/assignments/media-types/";
