//! DCAT RDF to CKAN dataset dicts, as ckanext-dcat's `RDFParser` with the `euro_dcat_ap_3`
//! profile reads them (its base, DCAT-AP 2 and 3 parts), for a harvester to pass to
//! `package_create`.

use std::collections::{HashMap, HashSet};

use datahavn_domain::license::DEFAULT_LICENSES;
use oxjsonld::JsonLdParser;
use oxrdf::{NamedNodeRef, NamedOrBlankNode, Term, TermRef, Triple};
use oxrdfxml::RdfXmlParser;
use oxttl::{NTriplesParser, TurtleParser};
use serde_json::{Map, Value, json};

use crate::geo::wkt_to_geojson;
use crate::slug;
use crate::terms;
use crate::vocab::{
    IANA_MEDIA_TYPES, adms, dc11, dcat, dcatap, dct, foaf, gsp, hydra, locn, owl, rdf, rdfs, schema, skos,
    spdx, time, vcard,
};
use crate::{DcatError, RdfFormat};

/// What one harvested document holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedPage {
    /// One dict per `dcat:Dataset`, in document order, shaped for `package_create`: `title`,
    /// `name` (made from the title, unique within the page), `notes`, `url`, `version`,
    /// `license_id` (when a distribution's licence is one of CKAN's), `tags`, `extras` (a list
    /// of `{key, value}` with string values, lists JSON-encoded) and `resources`.
    pub datasets: Vec<Value>,
    /// The next page of a paged catalogue (`hydra:next`, else the deprecated
    /// `hydra:nextPage`, on a `hydra:PagedCollection` or `hydra:PartialCollectionView`).
    pub next_page: Option<String>,
}

/// The triples of a document, indexed by subject in document order.
struct Graph {
    by_subject: HashMap<NamedOrBlankNode, Vec<(oxrdf::NamedNode, Term)>>,
    /// Subjects in the order they first appear.
    subjects: Vec<NamedOrBlankNode>,
}

fn syntax(format: RdfFormat) -> impl Fn(&dyn std::fmt::Display) -> DcatError {
    move |e| DcatError::Syntax { format, message: e.to_string() }
}

fn read_triples(body: &[u8], format: RdfFormat, base_iri: Option<&str>) -> Result<Vec<Triple>, DcatError> {
    let bad_base = |_| DcatError::InvalidIri(base_iri.unwrap_or_default().to_owned());
    let error = syntax(format);
    let mut triples = Vec::new();
    match format {
        RdfFormat::Turtle => {
            let mut parser = TurtleParser::new().lenient();
            if let Some(base) = base_iri {
                parser = parser.with_base_iri(base).map_err(bad_base)?;
            }
            for triple in parser.for_slice(body) {
                triples.push(triple.map_err(|e| error(&e))?);
            }
        }
        RdfFormat::NTriples => {
            for triple in NTriplesParser::new().lenient().for_slice(body) {
                triples.push(triple.map_err(|e| error(&e))?);
            }
        }
        RdfFormat::RdfXml => {
            let mut parser = RdfXmlParser::new().lenient();
            if let Some(base) = base_iri {
                parser = parser.with_base_iri(base).map_err(bad_base)?;
            }
            for triple in parser.for_slice(body) {
                triples.push(triple.map_err(|e| error(&e))?);
            }
        }
        RdfFormat::JsonLd => {
            let mut parser = JsonLdParser::new().lenient();
            if let Some(base) = base_iri {
                parser = parser.with_base_iri(base).map_err(bad_base)?;
            }
            for quad in parser.for_slice(body) {
                let quad = quad.map_err(|e| error(&e))?;
                if quad.graph_name.is_default_graph() {
                    triples.push(Triple::new(quad.subject, quad.predicate, quad.object));
                }
            }
        }
    }
    Ok(triples)
}

impl Graph {
    fn new(triples: Vec<Triple>) -> Self {
        let mut seen = HashSet::new();
        let mut by_subject: HashMap<NamedOrBlankNode, Vec<_>> = HashMap::new();
        let mut subjects = Vec::new();
        for triple in triples {
            if !seen.insert(triple.clone()) {
                continue;
            }
            by_subject
                .entry(triple.subject.clone())
                .or_insert_with(|| {
                    subjects.push(triple.subject.clone());
                    Vec::new()
                })
                .push((triple.predicate, triple.object));
        }
        Self { by_subject, subjects }
    }

    fn objects<'a>(
        &'a self,
        subject: &NamedOrBlankNode,
        predicate: NamedNodeRef<'static>,
    ) -> impl Iterator<Item = &'a Term> {
        self.by_subject
            .get(subject)
            .into_iter()
            .flatten()
            .filter(move |(p, _)| p.as_ref() == predicate)
            .map(|(_, o)| o)
    }

    fn first(&self, subject: &NamedOrBlankNode, predicate: NamedNodeRef<'static>) -> Option<&Term> {
        self.objects(subject, predicate).next()
    }

    fn has_type(&self, subject: &NamedOrBlankNode, class: NamedNodeRef<'static>) -> bool {
        self.objects(subject, rdf::TYPE).any(|t| matches!(t, Term::NamedNode(n) if n.as_ref() == class))
    }

    /// Subjects of a class, in document order.
    fn instances<'a>(&'a self, class: NamedNodeRef<'static>) -> impl Iterator<Item = &'a NamedOrBlankNode> {
        self.subjects.iter().filter(move |s| self.has_type(s, class))
    }

    /// The label of a described node (`rdfs:label`, `skos:prefLabel`, `dct:title`, `foaf:name`).
    fn label(&self, node: &NamedOrBlankNode) -> Option<String> {
        [rdfs::LABEL, skos::PREF_LABEL, dct::TITLE, foaf::NAME]
            .into_iter()
            .find_map(|p| self.literal(node, p))
    }

    /// The best literal of `subject predicate`: untagged, else English, else the first.
    fn literal(&self, subject: &NamedOrBlankNode, predicate: NamedNodeRef<'static>) -> Option<String> {
        let literals: Vec<_> = self
            .objects(subject, predicate)
            .filter_map(|t| match t {
                Term::Literal(l) => Some(l),
                _ => None,
            })
            .filter(|l| !l.value().trim().is_empty())
            .collect();
        literals
            .iter()
            .find(|l| l.language().is_none())
            .or_else(|| literals.iter().find(|l| l.language().is_some_and(|t| t.starts_with("en"))))
            .or(literals.first())
            .map(|l| l.value().trim().to_owned())
    }

    /// The value of a term as ckanext-dcat's `_object_value` gives it: a literal's text, an
    /// IRI's `rdfs:label` or else the IRI itself, a blank node's label. Blank nodes without a
    /// label have no value.
    fn term_value(&self, term: &Term) -> Option<String> {
        match term {
            Term::Literal(l) => Some(l.value().trim().to_owned()).filter(|v| !v.is_empty()),
            Term::NamedNode(n) => {
                self.literal(&n.clone().into(), rdfs::LABEL).or_else(|| Some(n.as_str().to_owned()))
            }
            Term::BlankNode(b) => self.label(&b.clone().into()),
        }
    }

    /// The single value of `subject predicate` (see [`Graph::literal`] for literals).
    fn value(&self, subject: &NamedOrBlankNode, predicate: NamedNodeRef<'static>) -> Option<String> {
        if let Some(literal) = self.literal(subject, predicate) {
            return Some(literal);
        }
        self.objects(subject, predicate).find_map(|t| self.term_value(t))
    }

    /// Every value of `subject predicate`; IRIs as themselves (not their labels), as
    /// ckanext-dcat's `_object_value_list`.
    fn values(&self, subject: &NamedOrBlankNode, predicate: NamedNodeRef<'static>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for term in self.objects(subject, predicate) {
            let value = match term {
                Term::NamedNode(n) => Some(n.as_str().to_owned()),
                other => self.term_value(other),
            };
            if let Some(value) = value
                && !out.contains(&value)
            {
                out.push(value);
            }
        }
        out
    }

    fn node(term: &Term) -> Option<NamedOrBlankNode> {
        match term {
            Term::NamedNode(n) => Some(n.clone().into()),
            Term::BlankNode(b) => Some(b.clone().into()),
            Term::Literal(_) => None,
        }
    }
}

/// Extras in insertion order, each key once.
#[derive(Default)]
struct Extras(Vec<(String, String)>);

impl Extras {
    fn set(&mut self, key: &str, value: Option<String>) {
        if let Some(value) = value.filter(|v| !v.is_empty())
            && !self.0.iter().any(|(k, _)| k == key)
        {
            self.0.push((key.to_owned(), value));
        }
    }

    fn list(&mut self, key: &str, values: Vec<String>) {
        if !values.is_empty() {
            self.set(key, Some(Value::from(values).to_string()));
        }
    }

    fn into_json(self) -> Value {
        Value::Array(self.0.into_iter().map(|(key, value)| json!({"key": key, "value": value})).collect())
    }
}

/// Reads a harvested DCAT document. `base_iri` resolves relative IRIs (use the document's URL).
pub fn parse(body: &[u8], format: RdfFormat, base_iri: Option<&str>) -> Result<ParsedPage, DcatError> {
    let graph = Graph::new(read_triples(body, format, base_iri)?);
    let mut taken = Vec::new();
    let datasets = graph.instances(dcat::DATASET).map(|node| dataset(&graph, node, &mut taken)).collect();
    Ok(ParsedPage { datasets, next_page: next_page(&graph) })
}

fn next_page(graph: &Graph) -> Option<String> {
    [hydra::PARTIAL_COLLECTION_VIEW, hydra::PAGED_COLLECTION].into_iter().find_map(|class| {
        graph.instances(class).find_map(|node| {
            [hydra::NEXT, hydra::NEXT_PAGE].into_iter().find_map(|p| {
                graph.first(node, p).and_then(|t| match t {
                    Term::NamedNode(n) => Some(n.as_str().to_owned()),
                    Term::Literal(l) => Some(l.value().trim().to_owned()).filter(|v| !v.is_empty()),
                    Term::BlankNode(_) => None,
                })
            })
        })
    })
}

fn dataset(graph: &Graph, node: &NamedOrBlankNode, taken: &mut Vec<String>) -> Value {
    let mut d = Map::new();
    let mut extras = Extras::default();
    let uri = match node {
        NamedOrBlankNode::NamedNode(n) => Some(n.as_str().to_owned()),
        NamedOrBlankNode::BlankNode(_) => None,
    };
    let title = graph.literal(node, dct::TITLE);
    let identifier = graph.value(node, dct::IDENTIFIER);

    // The name, from the title as ckanext-dcat's harvester makes it (else from the identifier
    // or IRI), numbered when an earlier dataset of the page has it.
    let name = [
        title.as_deref(),
        identifier.as_deref(),
        uri.as_deref().and_then(|u| u.rsplit('/').find(|s| !s.is_empty())),
    ]
    .into_iter()
    .flatten()
    .find_map(slug::name_from_title)
    .unwrap_or_else(|| "dataset".to_owned());
    if let Some(title) = &title {
        d.insert("title".into(), title.clone().into());
    }
    d.insert("name".into(), slug::unique(name, taken).into());
    if let Some(notes) = graph.literal(node, dct::DESCRIPTION) {
        d.insert("notes".into(), notes.into());
    }
    if let Some(url) = graph.values(node, dcat::LANDING_PAGE).into_iter().next() {
        d.insert("url".into(), url.into());
    }
    let version =
        [dcat::VERSION, owl::VERSION_INFO, adms::VERSION].into_iter().find_map(|p| graph.literal(node, p));
    if let Some(version) = version {
        d.insert("version".into(), version.into());
    }
    if let Some(license) = license_id(graph, node) {
        d.insert("license_id".into(), license.into());
    }
    let mut tags: Vec<String> = Vec::new();
    for keyword in graph.values(node, dcat::KEYWORD) {
        // Keywords holding commas are lists (ckanext-dcat's `_keywords`).
        for tag in keyword.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_owned());
            }
        }
    }
    d.insert("tags".into(), Value::Array(tags.into_iter().map(|name| json!({"name": name})).collect()));

    for (key, predicate) in [
        ("issued", dct::ISSUED),
        ("modified", dct::MODIFIED),
        ("identifier", dct::IDENTIFIER),
        ("version_notes", adms::VERSION_NOTES),
        ("frequency", dct::ACCRUAL_PERIODICITY),
        ("provenance", dct::PROVENANCE),
        ("dcat_type", dct::TYPE),
    ] {
        extras.set(key, graph.value(node, predicate));
    }
    let mut languages = graph.values(node, dct::LANGUAGE);
    languages.extend(graph.values(node, dc11::LANGUAGE));
    extras.list("language", languages);
    extras.list("theme", graph.values(node, dcat::THEME));
    let alternate = graph
        .objects(node, adms::IDENTIFIER)
        .filter_map(|t| match Graph::node(t) {
            Some(id) => graph.literal(&id, skos::NOTATION).or_else(|| graph.term_value(t)),
            None => graph.term_value(t),
        })
        .collect();
    extras.list("alternate_identifier", alternate);
    for (key, predicates) in [
        ("conforms_to", &[dct::CONFORMS_TO][..]),
        ("documentation", &[foaf::PAGE]),
        ("related_resource", &[dct::RELATION]),
        ("has_version", &[dcat::HAS_VERSION, dct::HAS_VERSION]),
        ("is_version_of", &[dct::IS_VERSION_OF]),
        ("source", &[dct::SOURCE]),
        ("sample", &[adms::SAMPLE]),
        ("is_referenced_by", &[dct::IS_REFERENCED_BY]),
        ("applicable_legislation", &[dcatap::APPLICABLE_LEGISLATION]),
        ("hvd_category", &[dcatap::HVD_CATEGORY]),
    ] {
        let mut values = Vec::new();
        for predicate in predicates {
            for value in graph.values(node, *predicate) {
                if !values.contains(&value) {
                    values.push(value);
                }
            }
        }
        extras.list(key, values);
    }

    let contact = graph.first(node, dcat::CONTACT_POINT).or_else(|| graph.first(node, adms::CONTACT_POINT));
    if let Some(contact) = contact.and_then(Graph::node) {
        contact_details(graph, &contact, &mut extras);
    }
    for (prefix, predicate) in [("publisher", dct::PUBLISHER), ("creator", dct::CREATOR)] {
        if let Some(agent) = graph.first(node, predicate) {
            agent_details(graph, agent, prefix, &mut extras);
        }
    }
    let (start, end) = temporal(graph, node);
    extras.set("temporal_start", start);
    extras.set("temporal_end", end);
    spatial(graph, node, &mut extras);
    extras.set("uri", uri.clone());
    extras.set("access_rights", graph.value(node, dct::ACCESS_RIGHTS));
    extras.set("temporal_resolution", graph.literal(node, dcat::TEMPORAL_RESOLUTION));
    let resolution = graph.values(node, dcat::SPATIAL_RESOLUTION);
    match resolution.as_slice() {
        [one] => extras.set("spatial_resolution_in_meters", Some(one.clone())),
        _ => extras.list("spatial_resolution_in_meters", resolution),
    }
    // The harvester's identity of the dataset (ckanext-dcat's `_get_guid`).
    extras.set("guid", uri.or(identifier));
    d.insert("extras".into(), extras.into_json());

    let resources = graph
        .objects(node, dcat::DISTRIBUTION_LINK)
        .filter_map(Graph::node)
        .map(|distribution| resource(graph, &distribution))
        .collect();
    d.insert("resources".into(), Value::Array(resources));
    Value::Object(d)
}

/// `vcard:` properties that are either the value itself or a node holding it in
/// `vcard:hasValue`.
fn vcard_value(graph: &Graph, node: &NamedOrBlankNode, predicate: NamedNodeRef<'static>) -> Option<String> {
    let term = graph.first(node, predicate)?;
    match term {
        Term::BlankNode(b) => graph.value(&b.clone().into(), vcard::HAS_VALUE),
        other => graph.term_value(other),
    }
}

fn without_mailto(value: String) -> String {
    value.strip_prefix("mailto:").map(str::to_owned).unwrap_or(value)
}

fn contact_details(graph: &Graph, contact: &NamedOrBlankNode, extras: &mut Extras) {
    if let NamedOrBlankNode::NamedNode(n) = contact {
        extras.set("contact_uri", Some(n.as_str().to_owned()));
    }
    let name = graph.literal(contact, vcard::FN).or_else(|| vcard_value(graph, contact, vcard::HAS_FN));
    extras.set("contact_name", name);
    extras.set("contact_email", vcard_value(graph, contact, vcard::HAS_EMAIL).map(without_mailto));
    extras.set("contact_identifier", vcard_value(graph, contact, vcard::HAS_UID));
    extras.set("contact_url", vcard_value(graph, contact, vcard::HAS_URL));
}

/// `{prefix}_uri`, `_name`, `_email`, `_url`, `_type`, `_identifier` of a publisher or creator.
fn agent_details(graph: &Graph, agent: &Term, prefix: &str, extras: &mut Extras) {
    let key = |k: &str| format!("{prefix}_{k}");
    let node = match agent {
        Term::Literal(l) => {
            // A bare name, as some exports write it.
            extras.set(&key("name"), Some(l.value().trim().to_owned()));
            return;
        }
        other => Graph::node(other),
    };
    let Some(node) = node else { return };
    if let NamedOrBlankNode::NamedNode(n) = &node {
        extras.set(&key("uri"), Some(n.as_str().to_owned()));
    }
    // Some catalogues name publishers with SKOS or RDFS labels instead of foaf:name.
    let name = [foaf::NAME, skos::PREF_LABEL, rdfs::LABEL].into_iter().find_map(|p| graph.literal(&node, p));
    extras.set(&key("name"), name);
    let email = graph.value(&node, foaf::MBOX).or_else(|| vcard_value(graph, &node, vcard::HAS_EMAIL));
    extras.set(&key("email"), email.map(without_mailto));
    extras.set(&key("url"), graph.values(&node, foaf::HOMEPAGE).into_iter().next());
    extras.set(&key("type"), graph.values(&node, dct::TYPE).into_iter().next());
    extras.set(&key("identifier"), graph.value(&node, dct::IDENTIFIER));
}

/// A start and an end.
type Interval = (Option<String>, Option<String>);

/// The start and end of `dct:temporal`: DCAT's `startDate`/`endDate`, else OWL-Time's
/// `hasBeginning`/`hasEnd`, else schema.org's (the order of ckanext-dcat's DCAT-AP 2 parser).
fn temporal(graph: &Graph, node: &NamedOrBlankNode) -> Interval {
    let periods: Vec<NamedOrBlankNode> = graph.objects(node, dct::TEMPORAL).filter_map(Graph::node).collect();
    let instant = |period: &NamedOrBlankNode, p: NamedNodeRef<'static>| {
        let instant = graph.first(period, p).and_then(Graph::node)?;
        [time::IN_XSD_DATE_TIME_STAMP, time::IN_XSD_DATE_TIME, time::IN_XSD_DATE]
            .into_iter()
            .find_map(|q| graph.literal(&instant, q))
    };
    let readers: [&dyn Fn(&NamedOrBlankNode) -> Interval; 3] = [
        &|p| (graph.literal(p, dcat::START_DATE), graph.literal(p, dcat::END_DATE)),
        &|p| (instant(p, time::HAS_BEGINNING), instant(p, time::HAS_END)),
        &|p| (graph.literal(p, schema::START_DATE), graph.literal(p, schema::END_DATE)),
    ];
    for read in readers {
        for period in &periods {
            let (start, end) = read(period);
            if start.is_some() || end.is_some() {
                return (start, end);
            }
        }
    }
    (None, None)
}

/// A geometry as GeoJSON text: GeoJSON literals as they are, WKT converted; also a
/// `locn:Geometry` node carrying `gsp:asWKT` or `gsp:asGeoJSON`.
fn geometry(graph: &Graph, term: &Term) -> Option<String> {
    match term {
        Term::Literal(l) => {
            let text = l.value().trim();
            let datatype = l.datatype();
            if datatype == gsp::WKT_LITERAL {
                return wkt_to_geojson(text).map(|g| g.to_string());
            }
            let json: Value = serde_json::from_str(text).ok()?;
            let geojson = datatype == gsp::GEOJSON_LITERAL
                || datatype == gsp::GEOJSON_MEDIA_TYPE
                || json.get("type").is_some();
            geojson.then(|| json.to_string()).or_else(|| wkt_to_geojson(text).map(|g| g.to_string()))
        }
        other => {
            let node = Graph::node(other)?;
            [gsp::AS_GEOJSON, gsp::AS_WKT]
                .into_iter()
                .find_map(|p| graph.objects(&node, p).find_map(|t| geometry(graph, t)))
        }
    }
}

fn spatial(graph: &Graph, node: &NamedOrBlankNode, extras: &mut Extras) {
    let mut uri = None;
    let mut text = None;
    let mut geom = None;
    let mut bbox = None;
    let mut centroid = None;
    for term in graph.objects(node, dct::SPATIAL) {
        match term {
            Term::NamedNode(n) => uri = uri.or(Some(n.as_str().to_owned())),
            Term::Literal(l) => text = text.or(Some(l.value().trim().to_owned())),
            Term::BlankNode(_) => {}
        }
        let Some(location) = Graph::node(term) else { continue };
        geom = geom.or_else(|| graph.objects(&location, locn::GEOMETRY).find_map(|t| geometry(graph, t)));
        bbox = bbox.or_else(|| graph.objects(&location, dcat::BBOX).find_map(|t| geometry(graph, t)));
        centroid =
            centroid.or_else(|| graph.objects(&location, dcat::CENTROID).find_map(|t| geometry(graph, t)));
        text = text
            .or_else(|| graph.literal(&location, skos::PREF_LABEL))
            .or_else(|| graph.literal(&location, rdfs::LABEL));
    }
    extras.set("spatial_uri", uri);
    extras.set("spatial_text", text.filter(|t| !t.is_empty()));
    extras.set("spatial", geom);
    extras.set("spatial_bbox", bbox);
    extras.set("spatial_centroid", centroid);
}

/// Licence URLs other than the register's that name its licences.
const LICENSE_ALIASES: &[(&str, &str)] = &[
    ("creativecommons.org/licenses/by/", "cc-by"),
    ("creativecommons.org/licenses/by-sa/", "cc-by-sa"),
    ("creativecommons.org/licenses/by-nc/", "cc-nc"),
    ("creativecommons.org/publicdomain/zero/", "cc-zero"),
    ("opendatacommons.org/licenses/odbl", "odc-odbl"),
    ("opendatacommons.org/licenses/by", "odc-by"),
    ("opendatacommons.org/licenses/pddl", "odc-pddl"),
];

/// The CKAN licence of a licence term: by URL, by title, or by the identifier datahavn writes
/// on licences that have no URL.
fn license_of(graph: &Graph, term: &Term) -> Option<String> {
    if let TermRef::NamedNode(iri) = term.as_ref() {
        let url = iri.as_str().trim_end_matches('/');
        if let Some(license) =
            DEFAULT_LICENSES.iter().find(|l| !l.url.is_empty() && l.url.trim_end_matches('/') == url)
        {
            return Some(license.id.to_owned());
        }
        if let Some((_, id)) = LICENSE_ALIASES.iter().find(|(part, _)| url.contains(part)) {
            return Some((*id).to_owned());
        }
    }
    let node = Graph::node(term)?;
    if let Some(title) = graph.literal(&node, dct::TITLE).or_else(|| graph.literal(&node, rdfs::LABEL))
        && let Some(license) = DEFAULT_LICENSES.iter().find(|l| l.title == title)
    {
        return Some(license.id.to_owned());
    }
    match node {
        NamedOrBlankNode::BlankNode(_) => graph.literal(&node, dct::IDENTIFIER),
        NamedOrBlankNode::NamedNode(_) => None,
    }
}

/// The dataset's licence: the first distribution licence CKAN knows (ckanext-dcat's
/// `_license`), else a licence stated on the dataset itself.
fn license_id(graph: &Graph, node: &NamedOrBlankNode) -> Option<String> {
    let distributions: Vec<_> =
        graph.objects(node, dcat::DISTRIBUTION_LINK).filter_map(Graph::node).collect();
    distributions
        .iter()
        .flat_map(|d| graph.objects(d, dct::LICENSE))
        .chain(graph.objects(node, dct::LICENSE))
        .find_map(|term| license_of(graph, term))
}

/// CKAN format names of common media types (a few of CKAN's `resource_formats.json`).
const MEDIA_TYPE_FORMATS: &[(&str, &str)] = &[
    ("text/csv", "CSV"),
    ("text/tab-separated-values", "TSV"),
    ("application/json", "JSON"),
    ("application/geo+json", "GeoJSON"),
    ("application/vnd.geo+json", "GeoJSON"),
    ("application/ld+json", "JSON-LD"),
    ("application/xml", "XML"),
    ("text/xml", "XML"),
    ("application/vnd.ms-excel", "XLS"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    ("application/vnd.oasis.opendocument.spreadsheet", "ODS"),
    ("application/pdf", "PDF"),
    ("text/html", "HTML"),
    ("text/plain", "TXT"),
    ("application/zip", "ZIP"),
    ("application/rdf+xml", "RDF"),
    ("text/turtle", "TTL"),
    ("application/vnd.google-earth.kml+xml", "KML"),
];

/// A CKAN format name for an EU file-type code.
fn format_of_code(code: &str) -> String {
    match code {
        "GEOJSON" => "GeoJSON".to_owned(),
        "JSON_LD" => "JSON-LD".to_owned(),
        "RDF_TURTLE" => "TTL".to_owned(),
        "RDF_XML" => "RDF".to_owned(),
        "WMS_SRVC" => "WMS".to_owned(),
        "WFS_SRVC" => "WFS".to_owned(),
        "N_TRIPLES" => "NT".to_owned(),
        other => other.to_owned(),
    }
}

/// The media type (as `type/subtype`) and format label of a distribution, as ckanext-dcat's
/// `_distribution_format`: `dcat:mediaType`, then `dct:format` as a literal, a `dct:IMT` node,
/// an IANA IRI or another IRI. EU file-type IRIs give their code and IANA IRIs their media type
/// (ckanext-dcat keeps both IRIs as they are).
fn distribution_format(graph: &Graph, dist: &NamedOrBlankNode) -> (Option<String>, Option<String>) {
    let media = |value: String| terms::media_type(&value).unwrap_or(value);
    let mut imt = graph.values(dist, dcat::MEDIA_TYPE).into_iter().next().map(media);
    let mut label = None;
    match graph.first(dist, dct::FORMAT) {
        Some(Term::Literal(l)) => {
            let text = l.value().trim().to_owned();
            if imt.is_none() && text.contains('/') {
                imt = Some(media(text));
            } else if !text.is_empty() {
                label = Some(text);
            }
        }
        Some(term) => {
            if let Some(node) = Graph::node(term) {
                if graph.has_type(&node, dct::IMT) {
                    if imt.is_none() {
                        imt = graph.literal(&node, rdf::VALUE).map(media);
                    }
                    label = graph.literal(&node, rdfs::LABEL);
                } else if let NamedOrBlankNode::NamedNode(iri) = &node {
                    let iri = iri.as_str();
                    if iri.starts_with(IANA_MEDIA_TYPES) || iri.contains("iana.org/assignments/media-types") {
                        if imt.is_none() {
                            imt = Some(media(iri.to_owned()));
                        }
                    } else if let Some(code) = terms::file_type_code(iri) {
                        label = Some(format_of_code(code));
                    } else {
                        label = graph.label(&node).or_else(|| Some(iri.to_owned()));
                    }
                } else {
                    label = graph.label(&node);
                }
            }
        }
        None => {}
    }
    // Known labels in CKAN's spelling (`csv` is `CSV`).
    let label = label.map(|l| {
        match terms::file_type_iri(&l).as_ref().and_then(|i| terms::file_type_code(i.as_str())) {
            Some(code) => format_of_code(code),
            None => l,
        }
    });
    let label = label.or_else(|| {
        let imt = imt.as_deref()?;
        Some(MEDIA_TYPE_FORMATS.iter().find(|(m, _)| *m == imt).map_or(imt, |(_, f)| f).to_owned())
    });
    (imt, label)
}

fn resource(graph: &Graph, dist: &NamedOrBlankNode) -> Value {
    let mut r = Map::new();
    let mut set = |key: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            r.insert(key.to_owned(), value.into());
        }
    };
    let access = graph.values(dist, dcat::ACCESS_URL).into_iter().next();
    let download = graph.values(dist, dcat::DOWNLOAD_URL).into_iter().next();
    set("name", graph.literal(dist, dct::TITLE));
    set("description", graph.literal(dist, dct::DESCRIPTION));
    set("url", download.clone().or(access.clone()));
    set("access_url", access);
    set("download_url", download);
    let (mimetype, format) = distribution_format(graph, dist);
    set("format", format);
    set("mimetype", mimetype);
    for (key, predicate) in [
        ("issued", dct::ISSUED),
        ("modified", dct::MODIFIED),
        ("status", adms::STATUS),
        ("license", dct::LICENSE),
        ("rights", dct::RIGHTS),
        ("availability", dcatap::AVAILABILITY),
        ("compress_format", dcat::COMPRESS_FORMAT),
        ("package_format", dcat::PACKAGE_FORMAT),
        ("temporal_resolution", dcat::TEMPORAL_RESOLUTION),
    ] {
        let value = match graph.first(dist, predicate) {
            // Licences and rights name themselves by IRI; statements without one by label.
            Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
            Some(other) => graph.term_value(other),
            None => None,
        };
        set(key, value);
    }
    set("spatial_resolution_in_meters", graph.literal(dist, dcat::SPATIAL_RESOLUTION));
    for (key, predicate) in
        [("language", dct::LANGUAGE), ("documentation", foaf::PAGE), ("conforms_to", dct::CONFORMS_TO)]
    {
        let values = graph.values(dist, predicate);
        if !values.is_empty() {
            set(key, Some(Value::from(values).to_string()));
        }
    }
    if let Some(checksum) = graph.first(dist, spdx::CHECKSUM).and_then(Graph::node) {
        set("hash_algorithm", graph.values(&checksum, spdx::ALGORITHM).into_iter().next());
        set("hash", graph.literal(&checksum, spdx::CHECKSUM_VALUE));
    }
    if let NamedOrBlankNode::NamedNode(n) = dist {
        set("uri", Some(n.as_str().to_owned()));
    }
    let size = graph
        .literal(dist, dcat::BYTE_SIZE)
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s >= 0.0 && s.is_finite());
    if let Some(size) = size {
        r.insert("size".into(), (size as u64).into());
    }
    Value::Object(r)
}
