//! CKAN dicts to DCAT-AP triples, following ckanext-dcat's `euro_dcat_ap_3` profile (which
//! builds on its DCAT-AP 2 and base profiles), with the changes DCAT-AP 3's SHACL shapes need:
//! a value is written as an IRI only when it is one, and a free-text value of a property whose
//! range is a class becomes a blank node of that class with the text as its label (the form
//! ckanext-dcat already uses for `dct:accessRights` and `dct:provenance`).

use std::collections::{HashMap, HashSet};

use oxrdf::{BlankNode, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::Value;

use crate::ckan::{Dict, value_text, value_texts};
use crate::terms::{self, DateKind};
use crate::vocab::{adms, dcat, dcatap, dct, foaf, gsp, hydra, locn, owl, rdf, rdfs, skos, spdx, vcard, xsd};
use crate::{CatalogInfo, DcatError, Paging, Profile};

/// Characters escaped in an id placed in a path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

/// How a value of a class-ranged property is written.
#[derive(Clone, Copy)]
enum Range {
    /// An IRI typed with the class, or a blank node of the class labelled with the text.
    Class(NamedNodeRef<'static>),
    /// A `skos:Concept`: an IRI as it is (its scheme describes it), or a blank node concept
    /// with the text as `skos:prefLabel`.
    Concept,
    /// Another dataset or distribution: only IRIs, untyped (they are described elsewhere).
    Reference,
}

/// The state one output document shares across its datasets.
pub(crate) struct Mapper {
    pub profile: Profile,
    /// The site URL without a trailing slash.
    pub site: String,
    next_blank: u64,
    /// `rdf:type` statements about shared IRIs (languages, licences, formats) already written.
    typed: HashSet<(NamedNode, NamedNode)>,
    triples: Vec<Triple>,
}

impl Mapper {
    pub fn new(profile: Profile, site_url: &str) -> Result<Self, DcatError> {
        let site = site_url.trim().trim_end_matches('/').to_owned();
        if terms::iri(&site).is_none() {
            return Err(DcatError::InvalidIri(site_url.to_owned()));
        }
        Ok(Self { profile, site, next_blank: 0, typed: HashSet::new(), triples: Vec::new() })
    }

    /// The catalogue's IRI, `{site_url}/`.
    pub fn catalog_iri(&self) -> NamedNode {
        NamedNode::new_unchecked(format!("{}/", self.site))
    }

    /// The triples made since the last call, grouped by subject (in order of first appearance,
    /// `rdf:type` first, each predicate's values together) so that the serialisers can nest them.
    pub fn take(&mut self) -> Vec<Triple> {
        let mut seen = HashSet::new();
        let mut order: Vec<NamedOrBlankNode> = Vec::new();
        let mut groups: HashMap<NamedOrBlankNode, Vec<(NamedNode, Vec<Term>)>> = HashMap::new();
        for triple in std::mem::take(&mut self.triples) {
            if !seen.insert(triple.clone()) {
                continue;
            }
            let group = groups.entry(triple.subject.clone()).or_insert_with(|| {
                order.push(triple.subject.clone());
                Vec::new()
            });
            match group.iter_mut().find(|(p, _)| *p == triple.predicate) {
                Some((_, objects)) => objects.push(triple.object),
                None if triple.predicate.as_ref() == rdf::TYPE => {
                    group.insert(0, (triple.predicate, vec![triple.object]))
                }
                None => group.push((triple.predicate, vec![triple.object])),
            }
        }
        let mut out = Vec::with_capacity(seen.len());
        for subject in order {
            for (predicate, objects) in groups.remove(&subject).unwrap_or_default() {
                for object in objects {
                    out.push(Triple::new(subject.clone(), predicate.clone(), object));
                }
            }
        }
        out
    }

    fn add(&mut self, s: impl Into<NamedOrBlankNode>, p: NamedNodeRef<'_>, o: impl Into<Term>) {
        self.triples.push(Triple::new(s, p, o));
    }

    fn blank(&mut self) -> BlankNode {
        self.next_blank += 1;
        BlankNode::new_unchecked(format!("b{}", self.next_blank))
    }

    /// `iri a class`, once per document.
    fn type_shared(&mut self, iri: &NamedNode, class: NamedNodeRef<'_>) {
        if self.typed.insert((iri.clone(), class.into_owned())) {
            self.add(iri.clone(), rdf::TYPE, class);
        }
    }

    fn texts(&mut self, s: &NamedOrBlankNode, p: NamedNodeRef<'_>, texts: &[(String, Option<String>)]) {
        for (text, lang) in texts {
            self.add(s.clone(), p, terms::text_literal(text, lang.as_deref()));
        }
    }

    fn text(&mut self, s: &NamedOrBlankNode, p: NamedNodeRef<'_>, text: Option<String>) {
        if let Some(text) = text {
            self.add(s.clone(), p, terms::text_literal(&text, None));
        }
    }

    /// A date with its precise XSD type. `strict` (DCAT-AP-DK on catalogues and distributions)
    /// keeps only `xsd:date` and `xsd:dateTime` values.
    fn date(&mut self, s: &NamedOrBlankNode, p: NamedNodeRef<'_>, value: Option<String>, strict: bool) {
        if let Some(value) = value {
            let (literal, kind) = terms::date_literal(&value);
            if !strict || matches!(kind, DateKind::Date | DateKind::DateTime) {
                self.add(s.clone(), p, literal);
            }
        }
    }

    /// An IRI (typed with its class when the range asks), or a blank node labelled with the text.
    fn object(&mut self, s: &NamedOrBlankNode, p: NamedNodeRef<'_>, value: &str, range: Range) {
        match (terms::iri(value), range) {
            (Some(iri), Range::Class(class)) => {
                self.add(s.clone(), p, iri.clone());
                self.type_shared(&iri, class);
            }
            (Some(iri), Range::Concept | Range::Reference) => self.add(s.clone(), p, iri),
            (None, Range::Class(class)) => {
                let node = self.blank();
                self.add(s.clone(), p, node.clone());
                self.add(node.clone(), rdf::TYPE, class);
                self.add(node, rdfs::LABEL, terms::text_literal(value, None));
            }
            (None, Range::Concept) => {
                let node = self.blank();
                self.add(s.clone(), p, node.clone());
                self.add(node.clone(), rdf::TYPE, skos::CONCEPT);
                self.add(node, skos::PREF_LABEL, terms::text_literal(value, None));
            }
            (None, Range::Reference) => {}
        }
    }

    fn objects(&mut self, s: &NamedOrBlankNode, p: NamedNodeRef<'_>, values: &[String], range: Range) {
        for value in values {
            self.object(s, p, value, range);
        }
    }

    /// A language: its EU authority IRI when it is a known code or an IRI, else a described node.
    fn language(&mut self, s: &NamedOrBlankNode, value: &str) {
        match terms::language_iri(value) {
            Some(iri) => {
                self.add(s.clone(), dct::LANGUAGE, iri.clone());
                self.type_shared(&iri, dct::LINGUISTIC_SYSTEM);
            }
            None => self.object(s, dct::LANGUAGE, value, Range::Class(dct::LINGUISTIC_SYSTEM)),
        }
    }

    /// A `foaf:Agent` (publisher or creator). DCAT-AP requires its `foaf:name`, so an agent
    /// without a name is not written.
    fn agent(&mut self, s: &NamedOrBlankNode, p: NamedNodeRef<'_>, agent: &AgentValues) {
        if agent.names.is_empty() {
            return;
        }
        let node: NamedOrBlankNode = match agent.uri.as_deref().and_then(terms::iri) {
            Some(iri) => iri.into(),
            None => self.blank().into(),
        };
        self.add(s.clone(), p, node.clone());
        self.add(node.clone(), rdf::TYPE, foaf::AGENT);
        if agent.organization {
            self.add(node.clone(), rdf::TYPE, foaf::ORGANIZATION);
        }
        self.texts(&node, foaf::NAME, &agent.names);
        if let Some(mbox) = agent.email.as_deref().and_then(terms::mailto) {
            self.add(node.clone(), foaf::MBOX, mbox);
        }
        if let Some(homepage) = agent.url.as_deref().and_then(terms::iri) {
            self.add(node.clone(), foaf::HOMEPAGE, homepage);
        }
        if let Some(kind) = agent.kind.as_deref() {
            self.object(&node, dct::TYPE, kind, Range::Concept);
        }
        self.text(&node, dct::IDENTIFIER, agent.identifier.clone());
    }

    /// The `dcat:Catalog` description (its datasets are linked by [`Mapper::catalog_links`]).
    pub fn catalog(&mut self, info: &CatalogInfo) -> NamedNode {
        let catalog: NamedOrBlankNode = self.catalog_iri().into();
        let strict = self.profile == Profile::DcatApDk;
        self.add(catalog.clone(), rdf::TYPE, dcat::CATALOG);
        let title = Some(info.title.trim()).filter(|t| !t.is_empty()).unwrap_or(&self.site).to_owned();
        let description =
            Some(info.description.trim()).filter(|d| !d.is_empty()).unwrap_or(&title).to_owned();
        self.text(&catalog, dct::TITLE, Some(title.clone()));
        self.text(&catalog, dct::DESCRIPTION, Some(description));
        let homepage = NamedNode::new_unchecked(self.site.clone());
        self.add(catalog.clone(), foaf::HOMEPAGE, homepage.clone());
        self.type_shared(&homepage, foaf::DOCUMENT);
        if let Some(language) = info.language.as_deref() {
            self.language(&catalog, language);
        }
        self.date(&catalog, dct::MODIFIED, info.modified.clone(), strict);
        let publisher = match &info.publisher {
            Some(agent) => AgentValues {
                uri: agent.uri.clone(),
                names: vec![(agent.name.clone(), None)],
                email: agent.email.clone(),
                url: agent.homepage.clone(),
                organization: true,
                ..AgentValues::default()
            },
            None => AgentValues {
                names: vec![(title, None)],
                url: Some(self.site.clone()),
                organization: true,
                ..AgentValues::default()
            },
        };
        self.agent(&catalog, dct::PUBLISHER, &publisher);
        self.catalog_iri()
    }

    /// `catalog dcat:dataset dataset` for each dataset written.
    pub fn catalog_links(&mut self, datasets: &[NamedNode]) {
        let catalog = self.catalog_iri();
        for dataset in datasets {
            self.add(catalog.clone(), dcat::DATASET_LINK, dataset.clone());
        }
    }

    /// The Hydra paging description, as ckanext-dcat writes it: a `hydra:PagedCollection` named
    /// by the current page's URL, with both the current (`hydra:next`) and the deprecated
    /// (`hydra:nextPage`) link properties, all page URLs as plain literals. Nothing when the
    /// query matched no dataset.
    pub fn paging(&mut self, paging: &Paging, written: u64) {
        if paging.total == 0 {
            return;
        }
        let current = paging.page_url(paging.page);
        let node: NamedOrBlankNode = match NamedNode::new(current) {
            Ok(iri) => iri.into(),
            Err(_) => self.blank().into(),
        };
        self.add(node.clone(), rdf::TYPE, hydra::PAGED_COLLECTION);
        let count = |n: u64| Literal::new_typed_literal(n.to_string(), xsd::INTEGER);
        self.add(node.clone(), hydra::TOTAL_ITEMS, count(paging.total));
        self.add(node.clone(), hydra::ITEMS_PER_PAGE, count(paging.page_size));
        let last = paging.last_page();
        let mut links = vec![(hydra::FIRST_PAGE, hydra::FIRST, 1), (hydra::LAST_PAGE, hydra::LAST, last)];
        if paging.page > 1 {
            // ckanext-dcat points a page past the end back at the last page.
            let previous = if (paging.page - 1) * paging.page_size + written <= paging.total {
                paging.page - 1
            } else {
                last
            };
            links.push((hydra::PREVIOUS_PAGE, hydra::PREVIOUS, previous));
        }
        if paging.page * paging.page_size < paging.total {
            links.push((hydra::NEXT_PAGE, hydra::NEXT, paging.page + 1));
        }
        for (deprecated, current, page) in links {
            let url = Literal::new_simple_literal(paging.page_url(page));
            self.add(node.clone(), deprecated, url.clone());
            self.add(node.clone(), current, url);
        }
    }

    /// One dataset and its distributions; returns the dataset's IRI.
    pub fn dataset(&mut self, dataset: &Value) -> Result<NamedNode, DcatError> {
        let empty = serde_json::Map::new();
        let d = Dict(dataset.as_object().unwrap_or(&empty));
        let profile = self.profile;
        // CKAN resolves /dataset/{name} as well as /dataset/{id}; a dict without an id (a create
        // payload) is named by its name.
        let id = d.text("id").or_else(|| d.text("name"));
        let dataset_iri = d
            .text("uri")
            .filter(|u| u != "None")
            .and_then(|u| terms::iri(&u))
            .or_else(|| id.as_ref().map(|id| self.under_site(&["dataset", id])))
            .ok_or(DcatError::DatasetWithoutId)?;
        let ds: NamedOrBlankNode = dataset_iri.clone().into();
        let class = if d.text("type").as_deref() == Some("dataset_series") {
            dcat::DATASET_SERIES
        } else {
            dcat::DATASET
        };
        self.add(ds.clone(), rdf::TYPE, class);

        // Title and description; DCAT-AP requires both, so a dataset without notes is described
        // by its title (ckanext-dcat would leave dct:description out).
        let mut title = d.texts("title_translated");
        if title.is_empty() {
            title = d.texts("title");
        }
        if title.is_empty() {
            title = d.texts("name");
        }
        let mut notes = d.texts("notes_translated");
        if notes.is_empty() {
            notes = d.texts("notes");
        }
        if notes.is_empty() {
            notes = title.clone();
        }
        self.texts(&ds, dct::TITLE, &title);
        self.texts(&ds, dct::DESCRIPTION, &notes);

        for tag in d.0.get("tags").and_then(Value::as_array).into_iter().flatten() {
            let name = match tag {
                Value::Object(tag) => tag.get("name").and_then(value_text),
                other => value_text(other),
            };
            self.text(&ds, dcat::KEYWORD, name);
        }
        if let Some(url) = d.text("url").and_then(|u| terms::iri(&u)) {
            self.add(ds.clone(), dcat::LANDING_PAGE, url.clone());
            self.type_shared(&url, foaf::DOCUMENT);
        }
        self.text(&ds, dct::IDENTIFIER, d.first_text(&["identifier", "guid", "id", "name"]));
        let version = d.text("version");
        self.text(&ds, dcat::VERSION, version.clone());
        if profile == Profile::DcatApDk {
            // DCAT-AP-DK 2 names the version with owl:versionInfo.
            self.text(&ds, owl::VERSION_INFO, version);
        }
        self.text(&ds, adms::VERSION_NOTES, d.text("version_notes"));
        self.date(&ds, dct::ISSUED, d.first_text(&["issued", "metadata_created"]), false);
        self.date(&ds, dct::MODIFIED, d.first_text(&["modified", "metadata_modified"]), false);
        if let Some(frequency) = d.first_text(&["frequency", "accrual_periodicity", "update_frequency"]) {
            match terms::frequency_iri(&frequency) {
                Some(iri) => {
                    self.add(ds.clone(), dct::ACCRUAL_PERIODICITY, iri.clone());
                    self.type_shared(&iri, dct::FREQUENCY);
                }
                None => self.object(&ds, dct::ACCRUAL_PERIODICITY, &frequency, Range::Class(dct::FREQUENCY)),
            }
        }
        for language in d.list("language") {
            self.language(&ds, &language);
        }
        self.objects(&ds, dcat::THEME, &d.list("theme"), Range::Concept);
        self.objects(&ds, dct::CONFORMS_TO, &d.list("conforms_to"), Range::Class(dct::STANDARD));
        self.objects(&ds, foaf::PAGE, &d.list("documentation"), Range::Class(foaf::DOCUMENT));
        self.objects(&ds, dct::RELATION, &d.list("related_resource"), Range::Class(rdfs::RESOURCE));
        self.objects(&ds, dct::IS_REFERENCED_BY, &d.list("is_referenced_by"), Range::Class(rdfs::RESOURCE));
        let has_version = match profile {
            Profile::DcatAp3 => dcat::HAS_VERSION,
            Profile::DcatApDk => dct::HAS_VERSION,
        };
        self.objects(&ds, has_version, &d.list("has_version"), Range::Reference);
        self.objects(&ds, dct::IS_VERSION_OF, &d.list("is_version_of"), Range::Reference);
        self.objects(&ds, dct::SOURCE, &d.list("source"), Range::Reference);
        self.objects(&ds, adms::SAMPLE, &d.list("sample"), Range::Reference);
        self.objects(
            &ds,
            dcatap::APPLICABLE_LEGISLATION,
            &d.list("applicable_legislation"),
            Range::Class(dcatap::LEGAL_RESOURCE),
        );
        self.objects(&ds, dcatap::HVD_CATEGORY, &d.list("hvd_category"), Range::Concept);
        if let Some(kind) = d.text("dcat_type") {
            self.object(&ds, dct::TYPE, &kind, Range::Concept);
        }
        for identifier in d.list("alternate_identifier") {
            let node = self.blank();
            self.add(ds.clone(), adms::IDENTIFIER, node.clone());
            self.add(node.clone(), rdf::TYPE, adms::IDENTIFIER_CLASS);
            self.add(node, skos::NOTATION, terms::text_literal(&identifier, None));
        }
        if let Some(value) = d.text("provenance") {
            self.object(&ds, dct::PROVENANCE, &value, Range::Class(dct::PROVENANCE_STATEMENT));
        }
        if let Some(value) = d.text("access_rights") {
            self.object(&ds, dct::ACCESS_RIGHTS, &value, Range::Class(dct::RIGHTS_STATEMENT));
        }
        if let Some(value) = d.text("temporal_resolution").filter(|v| terms::is_duration(v)) {
            self.add(ds.clone(), dcat::TEMPORAL_RESOLUTION, Literal::new_typed_literal(value, xsd::DURATION));
        }
        for value in d.list("spatial_resolution_in_meters").iter().filter_map(|v| terms::decimal(v)) {
            self.add(ds.clone(), dcat::SPATIAL_RESOLUTION, Literal::new_typed_literal(value, xsd::DECIMAL));
        }

        self.contact_point(&ds, d);
        let publisher = publisher(d, &self.site);
        self.agent(&ds, dct::PUBLISHER, &publisher);
        let creator = agent_from_extras(d, "creator");
        self.agent(&ds, dct::CREATOR, &creator);
        self.temporal(&ds, d);
        self.spatial(&ds, d);

        for resource in d.0.get("resources").and_then(Value::as_array).into_iter().flatten() {
            if let Some(resource) = resource.as_object() {
                self.distribution(&ds, d, Dict(resource), id.as_deref());
            }
        }
        Ok(dataset_iri)
    }

    /// An IRI under the site: `{site}/a/b`, each segment percent-encoded.
    fn under_site(&self, segments: &[&str]) -> NamedNode {
        let mut iri = self.site.clone();
        for segment in segments {
            iri.push('/');
            iri.extend(utf8_percent_encode(segment, SEGMENT));
        }
        NamedNode::new_unchecked(iri)
    }

    /// `dcat:contactPoint` from the `contact_*` values, else the maintainer, else the author.
    fn contact_point(&mut self, ds: &NamedOrBlankNode, d: Dict<'_>) {
        let name = d.first_text(&["contact_name", "maintainer", "author"]);
        let email = d
            .first_text(&["contact_email", "maintainer_email", "author_email"])
            .and_then(|e| terms::mailto(&e));
        let uri = d.text("contact_uri").and_then(|u| terms::iri(&u));
        if name.is_none() && email.is_none() && uri.is_none() {
            return;
        }
        let node: NamedOrBlankNode = match uri {
            Some(iri) => iri.into(),
            None => self.blank().into(),
        };
        self.add(ds.clone(), dcat::CONTACT_POINT, node.clone());
        self.add(node.clone(), rdf::TYPE, vcard::KIND);
        self.text(&node, vcard::FN, name);
        if let Some(email) = email {
            self.add(node.clone(), vcard::HAS_EMAIL, email);
        }
        if let Some(url) = d.text("contact_url").and_then(|u| terms::iri(&u)) {
            self.add(node.clone(), vcard::HAS_URL, url);
        }
        if let Some(uid) = d.text("contact_identifier") {
            self.add(node, vcard::HAS_UID, terms::text_literal(&uid, None));
        }
    }

    /// `dct:temporal` as a `dct:PeriodOfTime` with `dcat:startDate` / `dcat:endDate`.
    fn temporal(&mut self, ds: &NamedOrBlankNode, d: Dict<'_>) {
        let start = d.text("temporal_start");
        let end = d.text("temporal_end");
        if start.is_none() && end.is_none() {
            return;
        }
        let period: NamedOrBlankNode = self.blank().into();
        self.add(ds.clone(), dct::TEMPORAL, period.clone());
        self.add(period.clone(), rdf::TYPE, dct::PERIOD_OF_TIME);
        self.date(&period, dcat::START_DATE, start, false);
        self.date(&period, dcat::END_DATE, end, false);
    }

    /// `dct:spatial` as a `dct:Location`: `spatial_uri` names it, `spatial_text` labels it,
    /// `spatial` (GeoJSON) is its geometry, `spatial_bbox` and `spatial_centroid` its box and
    /// centre (as WKT). A `spatial` value that is not GeoJSON is taken as the label.
    fn spatial(&mut self, ds: &NamedOrBlankNode, d: Dict<'_>) {
        let uri = d.text("spatial_uri").and_then(|u| terms::iri(&u));
        let geometry = d.raw("spatial").and_then(crate::geo::geojson_to_wkt);
        let text = d.text("spatial_text").or_else(|| geometry.is_none().then(|| d.text("spatial")).flatten());
        let bbox = d.raw("spatial_bbox").and_then(crate::geo::geojson_to_wkt);
        let centroid = d.raw("spatial_centroid").and_then(crate::geo::geojson_to_wkt);
        if uri.is_none() && geometry.is_none() && text.is_none() && bbox.is_none() && centroid.is_none() {
            return;
        }
        let location: NamedOrBlankNode = match uri {
            Some(iri) => {
                self.add(ds.clone(), dct::SPATIAL, iri.clone());
                self.type_shared(&iri, dct::LOCATION);
                if geometry.is_none() && text.is_none() && bbox.is_none() && centroid.is_none() {
                    return;
                }
                iri.into()
            }
            None => {
                let node = self.blank();
                self.add(ds.clone(), dct::SPATIAL, node.clone());
                self.add(node.clone(), rdf::TYPE, dct::LOCATION);
                node.into()
            }
        };
        self.text(&location, skos::PREF_LABEL, text);
        let wkt = |value: String| Literal::new_typed_literal(value, gsp::WKT_LITERAL);
        if let Some(geometry) = geometry {
            match self.profile {
                // DCAT-AP 3 wants a locn:Geometry node; GeoSPARQL gives it its WKT.
                Profile::DcatAp3 => {
                    let node = self.blank();
                    self.add(location.clone(), locn::GEOMETRY, node.clone());
                    self.add(node.clone(), rdf::TYPE, locn::GEOMETRY_CLASS);
                    self.add(node, gsp::AS_WKT, wkt(geometry));
                }
                // DCAT-AP-DK wants the geometry as a literal, as GeoDCAT-AP 2 wrote it.
                Profile::DcatApDk => self.add(location.clone(), locn::GEOMETRY, wkt(geometry)),
            }
        }
        if let Some(bbox) = bbox {
            self.add(location.clone(), dcat::BBOX, wkt(bbox));
        }
        if let Some(centroid) = centroid {
            self.add(location, dcat::CENTROID, wkt(centroid));
        }
    }

    /// One resource as a `dcat:Distribution`.
    fn distribution(&mut self, ds: &NamedOrBlankNode, d: Dict<'_>, r: Dict<'_>, dataset_id: Option<&str>) {
        let profile = self.profile;
        let strict = profile == Profile::DcatApDk;
        let resource_id = r.text("id");
        let package_id = r.text("package_id").or(dataset_id.map(str::to_owned));
        let own_iri = r.text("uri").filter(|u| u != "None").and_then(|u| terms::iri(&u));
        let dist: NamedOrBlankNode = match (own_iri, package_id, resource_id) {
            (Some(iri), _, _) => iri.into(),
            (None, Some(package), Some(resource)) => {
                self.under_site(&["dataset", &package, "resource", &resource]).into()
            }
            _ => self.blank().into(),
        };
        self.add(ds.clone(), dcat::DISTRIBUTION_LINK, dist.clone());
        self.add(dist.clone(), rdf::TYPE, dcat::DISTRIBUTION);
        let mut name = r.texts("name_translated");
        if name.is_empty() {
            name = r.texts("name");
        }
        let mut description = r.texts("description_translated");
        if description.is_empty() {
            description = r.texts("description");
        }
        self.texts(&dist, dct::TITLE, &name);
        self.texts(&dist, dct::DESCRIPTION, &description);

        // Access and download URLs. DCAT-AP requires dcat:accessURL; the resource's URL is also
        // its download URL when CKAN holds the file (uploads, DataStore tables) or the URL names
        // a data file.
        let url = r.text("url").and_then(|u| terms::iri(&u));
        let access = r.text("access_url").and_then(|u| terms::iri(&u)).or_else(|| url.clone());
        let download = r.text("download_url").and_then(|u| terms::iri(&u)).or_else(|| {
            let url_type = r.text("url_type");
            let held = matches!(url_type.as_deref(), Some("upload" | "datastore"));
            url.clone().filter(|u| held || is_file_url(u.as_str()))
        });
        let access = access.or_else(|| download.clone()).unwrap_or_else(|| match &dist {
            NamedOrBlankNode::NamedNode(iri) => iri.clone(),
            NamedOrBlankNode::BlankNode(_) => match ds {
                NamedOrBlankNode::NamedNode(iri) => iri.clone(),
                NamedOrBlankNode::BlankNode(_) => NamedNode::new_unchecked(self.site.clone()),
            },
        });
        self.add(dist.clone(), dcat::ACCESS_URL, access);
        if let Some(download) = download {
            self.add(dist.clone(), dcat::DOWNLOAD_URL, download);
        }

        self.format(&dist, r);

        // Licence: the resource's own, else the dataset's licence URL, else its licence named
        // by title (matched back to an id by harvesters, as ckanext-dcat's parser does).
        let license = r
            .text("license")
            .or_else(|| d.text("license_url"))
            .or_else(|| d.text("license_id").filter(|id| terms::iri(id).is_some()));
        match license {
            Some(license) => {
                self.object(&dist, dct::LICENSE, &license, Range::Class(dct::LICENSE_DOCUMENT));
            }
            None => {
                let id = d.text("license_id").filter(|id| id != "notspecified");
                if let Some(id) = id {
                    let title = d.text("license_title").unwrap_or_else(|| id.clone());
                    let node = self.blank();
                    self.add(dist.clone(), dct::LICENSE, node.clone());
                    self.add(node.clone(), rdf::TYPE, dct::LICENSE_DOCUMENT);
                    self.add(node.clone(), dct::TITLE, terms::text_literal(&title, None));
                    self.add(node, dct::IDENTIFIER, terms::text_literal(&id, None));
                }
            }
        }
        if let Some(rights) = r.text("rights") {
            self.object(&dist, dct::RIGHTS, &rights, Range::Class(dct::RIGHTS_STATEMENT));
        }
        if let Some(status) = r.text("status") {
            self.object(&dist, adms::STATUS, &status, Range::Concept);
        }
        if let Some(availability) = r.text("availability") {
            self.object(&dist, dcatap::AVAILABILITY, &availability, Range::Concept);
        }
        for (key, predicate) in
            [("compress_format", dcat::COMPRESS_FORMAT), ("package_format", dcat::PACKAGE_FORMAT)]
        {
            if let Some(iri) = r.text(key).and_then(|v| terms::media_type_iri(&v)) {
                self.add(dist.clone(), predicate, iri.clone());
                self.type_shared(&iri, dct::MEDIA_TYPE);
            }
        }
        for language in r.list("language") {
            self.language(&dist, &language);
        }
        self.objects(&dist, foaf::PAGE, &r.list("documentation"), Range::Class(foaf::DOCUMENT));
        self.objects(&dist, dct::CONFORMS_TO, &r.list("conforms_to"), Range::Class(dct::STANDARD));
        self.objects(
            &dist,
            dcatap::APPLICABLE_LEGISLATION,
            &r.list("applicable_legislation"),
            Range::Class(dcatap::LEGAL_RESOURCE),
        );
        self.date(&dist, dct::ISSUED, r.first_text(&["issued", "created"]), strict);
        self.date(
            &dist,
            dct::MODIFIED,
            r.first_text(&["modified", "metadata_modified", "last_modified"]),
            strict,
        );
        if let Some(value) = r.text("temporal_resolution").filter(|v| terms::is_duration(v)) {
            self.add(
                dist.clone(),
                dcat::TEMPORAL_RESOLUTION,
                Literal::new_typed_literal(value, xsd::DURATION),
            );
        }
        if let Some(value) = r.list("spatial_resolution_in_meters").first().and_then(|v| terms::decimal(v)) {
            self.add(dist.clone(), dcat::SPATIAL_RESOLUTION, Literal::new_typed_literal(value, xsd::DECIMAL));
        }
        if let Some(size) = r.raw("size").and_then(terms::byte_size) {
            // DCAT-AP 3 types the size as xsd:nonNegativeInteger, DCAT-AP-DK 2 as xsd:decimal.
            let datatype = match profile {
                Profile::DcatAp3 => xsd::NON_NEGATIVE_INTEGER,
                Profile::DcatApDk => xsd::DECIMAL,
            };
            self.add(dist.clone(), dcat::BYTE_SIZE, Literal::new_typed_literal(size.to_string(), datatype));
        }
        let checksum = r.text("hash").and_then(|h| terms::checksum(&h, r.text("hash_algorithm").as_deref()));
        // DCAT-AP-DK accepts only SHA-1 checksums.
        if let Some(checksum) = checksum.filter(|c| !strict || c.is_sha1) {
            let node = self.blank();
            self.add(dist.clone(), spdx::CHECKSUM, node.clone());
            self.add(node.clone(), rdf::TYPE, spdx::CHECKSUM_CLASS);
            self.add(node.clone(), spdx::ALGORITHM, checksum.algorithm.clone());
            self.add(node, spdx::CHECKSUM_VALUE, Literal::new_typed_literal(checksum.value, xsd::HEX_BINARY));
            self.type_shared(&checksum.algorithm, spdx::CHECKSUM_ALGORITHM_CLASS);
        }
    }

    /// `dcat:mediaType` (an IANA IRI) from the MIME type, and `dct:format` from the format
    /// label: an EU file-type IRI when the label is a known one, else a described node. A
    /// format that is itself a media type counts as the media type, as in ckanext-dcat.
    fn format(&mut self, dist: &NamedOrBlankNode, r: Dict<'_>) {
        let mut format = r.text("format");
        // A MIME type that is not one (`CSV`) counts as missing.
        let mut mimetype = r.text("mimetype").filter(|m| terms::media_type_iri(m).is_some());
        if let Some(f) = format.clone()
            && mimetype.as_ref().is_none_or(|m| *m == f)
            && terms::looks_like_media_type(&f)
        {
            mimetype = Some(f);
            format = None;
        }
        if let Some(iri) = mimetype.as_deref().and_then(terms::media_type_iri) {
            self.add(dist.clone(), dcat::MEDIA_TYPE, iri.clone());
            self.type_shared(&iri, dct::MEDIA_TYPE);
        }
        if let Some(format) = format {
            match terms::file_type_iri(&format) {
                Some(iri) => {
                    self.add(dist.clone(), dct::FORMAT, iri.clone());
                    self.type_shared(&iri, dct::MEDIA_TYPE_OR_EXTENT);
                }
                None => self.object(dist, dct::FORMAT, &format, Range::Class(dct::MEDIA_TYPE_OR_EXTENT)),
            }
        }
    }
}

/// Whether a URL's last path segment names a data file (`.csv`, `.zip`, ...), not a page.
fn is_file_url(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let Some((_, last)) = path.split_once("://").and_then(|(_, rest)| rest.split_once('/')) else {
        return false;
    };
    let segment = last.rsplit('/').next().unwrap_or(last);
    segment.rsplit_once('.').is_some_and(|(_, ext)| {
        !matches!(ext.to_ascii_lowercase().as_str(), "html" | "htm") && terms::file_type_iri(ext).is_some()
    })
}

/// An agent's values before they are written.
#[derive(Default)]
struct AgentValues {
    uri: Option<String>,
    names: Vec<(String, Option<String>)>,
    email: Option<String>,
    url: Option<String>,
    kind: Option<String>,
    identifier: Option<String>,
    organization: bool,
}

/// `publisher_*` or `creator_*` values.
fn agent_from_extras(d: Dict<'_>, prefix: &str) -> AgentValues {
    let text = |key: &str| d.text(&format!("{prefix}_{key}"));
    AgentValues {
        uri: text("uri"),
        names: d.texts(&format!("{prefix}_name")),
        email: text("email"),
        url: text("url"),
        kind: text("type"),
        identifier: text("identifier"),
        organization: false,
    }
}

/// The publisher: a `publisher` object or name (scheming portals), else the `publisher_*`
/// values, else the dataset's organization (`{site}/organization/{id}`, named by its title).
fn publisher(d: Dict<'_>, site: &str) -> AgentValues {
    match d.raw("publisher") {
        Some(Value::Object(p)) => {
            let p = Dict(p);
            return AgentValues {
                uri: p.text("uri"),
                names: p.texts("name"),
                email: p.text("email"),
                url: p.text("url").or_else(|| p.text("homepage")),
                kind: p.text("type"),
                identifier: p.text("identifier"),
                organization: false,
            };
        }
        Some(other) => {
            if let Some(name) = value_text(other) {
                let mut agent = agent_from_extras(d, "publisher");
                agent.names = vec![(name, None)];
                return agent;
            }
        }
        None => {}
    }
    let agent = agent_from_extras(d, "publisher");
    if agent.uri.is_some() || !agent.names.is_empty() {
        return agent;
    }
    let Some(org) = d.object("organization") else { return AgentValues::default() };
    let mut names = org.raw("title").map(value_texts).unwrap_or_default();
    if names.is_empty() {
        names = org.texts("name");
    }
    AgentValues {
        uri: org.text("id").map(|id| format!("{site}/organization/{}", utf8_percent_encode(&id, SEGMENT))),
        names,
        email: org.text("email"),
        url: org.text("url"),
        kind: org.text("dcat_type"),
        identifier: org.text("identifier"),
        organization: true,
    }
}
