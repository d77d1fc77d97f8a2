//! The `package_show` dict, rendered from a dataset's document when it is written (and again
//! when an organization or group it embeds changes), so reads never rebuild it.

use datahavn_domain::catalog::{PackageRecord, Relationship};
use datahavn_domain::group::{Group, MemberKind};
use datahavn_domain::license;
use datahavn_storage::Tx;
use serde_json::{Map, Value};

use crate::ActionResult;

/// Keys that close the dict, in this order, after the alphabetical scalar fields.
const TRAILING: &[&str] =
    &["extras", "resources", "tags", "groups", "relationships_as_subject", "relationships_as_object"];

/// Resource keys every resource dict carries, with their defaults.
const RESOURCE_DEFAULTS: &[(&str, Value)] = &[
    ("cache_last_updated", Value::Null),
    ("cache_url", Value::Null),
    ("datastore_active", Value::Bool(false)),
    ("description", Value::Null),
    ("format", Value::Null),
    ("hash", Value::Null),
    ("last_modified", Value::Null),
    ("mimetype", Value::Null),
    ("mimetype_inner", Value::Null),
    ("name", Value::Null),
    ("resource_type", Value::Null),
    ("size", Value::Null),
    ("state", Value::Null),
    ("url_type", Value::Null),
];

fn sorted(map: Map<String, Value>) -> Map<String, Value> {
    let mut entries: Vec<(String, Value)> = map.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().collect()
}

/// The standard resource keys with the values CKAN gives them when not set.
pub fn resource_defaults() -> impl Iterator<Item = (String, Value)> {
    RESOURCE_DEFAULTS.iter().map(|(key, default)| {
        let value = match *key {
            "hash" => Value::String(String::new()),
            "state" => Value::String("active".into()),
            _ => default.clone(),
        };
        ((*key).to_owned(), value)
    })
}

/// A resource dict as CKAN shows it: every standard key, keys sorted, absolute URL (for an
/// upload stored by file name, the download URL of its file on this site).
pub fn render_resource(
    resource: &Map<String, Value>,
    package_id: &str,
    position: usize,
    site_url: &str,
) -> Value {
    let mut out = resource.clone();
    for (key, default) in resource_defaults() {
        out.entry(key).or_insert(default);
    }
    out.insert("package_id".into(), package_id.into());
    out.insert("position".into(), position.into());
    let is_upload = out.get("url_type").and_then(Value::as_str) == Some("upload");
    let url_is_absolute = out.get("url").and_then(Value::as_str).is_some_and(|url| url.contains("://"));
    // An upload's URL is stored as its file name; one stored absolute (a record harvested or
    // loaded from another portal, or a dumped dict loaded back) is shown as it is.
    if is_upload && !url_is_absolute {
        let id = out.get("id").and_then(Value::as_str).unwrap_or_default();
        let name = crate::upload::url_file_name(out.get("url").and_then(Value::as_str).unwrap_or_default());
        let download = format!("{site_url}/dataset/{package_id}/resource/{id}/download/{name}");
        out.insert("url".into(), download.into());
    } else if let Some(url) = out.get("url").and_then(Value::as_str)
        && !url.is_empty()
        && !url.contains("://")
    {
        let absolute = format!("http://{url}");
        out.insert("url".into(), absolute.into());
    }
    Value::Object(sorted(out))
}

/// Renders a dataset from its record and the organization, groups and relationships it embeds.
pub fn render_package(
    record: &PackageRecord,
    organization: Option<&Group>,
    groups: &[Group],
    relationships: &[Relationship],
    site_url: &str,
) -> Map<String, Value> {
    let doc = &record.document;
    let mut scalars = Map::new();
    for (key, value) in doc {
        if TRAILING.contains(&key.as_str()) {
            continue;
        }
        scalars.insert(key.clone(), value.clone());
    }
    let license_id = doc.get("license_id").and_then(Value::as_str).filter(|l| !l.is_empty());
    let known = license_id.and_then(license::find);
    scalars.insert(
        "license_title".into(),
        match (known, doc.get("license_id")) {
            (Some(license), _) => license.title.into(),
            (None, Some(id)) => id.clone(),
            (None, None) => Value::Null,
        },
    );
    if let Some(license) = known.filter(|l| !l.url.is_empty()) {
        scalars.insert("license_url".into(), license.url.into());
    }
    scalars.insert("isopen".into(), known.is_some_and(license::License::is_open).into());
    scalars.insert("id".into(), record.id.clone().into());
    scalars.insert("name".into(), record.name.clone().into());
    scalars.insert("title".into(), doc.get("title").cloned().unwrap_or_else(|| record.name.clone().into()));
    scalars.insert("type".into(), record.package_type.clone().into());
    scalars.insert("state".into(), record.state.as_str().into());
    scalars.insert("private".into(), record.private.into());
    scalars.insert("owner_org".into(), record.owner_org.clone().map_or(Value::Null, Value::String));
    scalars
        .insert("creator_user_id".into(), record.creator_user_id.clone().map_or(Value::Null, Value::String));
    scalars.insert("metadata_created".into(), record.metadata_created.to_ckan_string().into());
    scalars.insert("metadata_modified".into(), record.metadata_modified.to_ckan_string().into());
    scalars.insert(
        "organization".into(),
        organization.filter(|o| o.is_active()).map_or(Value::Null, Group::organization_summary),
    );
    let resources: Vec<Value> = doc
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .enumerate()
        .map(|(position, r)| render_resource(r, &record.id, position, site_url))
        .collect();
    let tags: Vec<Value> = doc
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let name = t.get("name")?.clone();
            let mut tag = Map::new();
            tag.insert("display_name".into(), name.clone());
            tag.insert("id".into(), t.get("id").cloned().unwrap_or(Value::Null));
            tag.insert("name".into(), name);
            tag.insert("state".into(), "active".into());
            tag.insert("vocabulary_id".into(), t.get("vocabulary_id").cloned().unwrap_or(Value::Null));
            Some(Value::Object(tag))
        })
        .collect();
    scalars.insert("num_resources".into(), resources.len().into());
    scalars.insert("num_tags".into(), tags.len().into());

    let mut out = sorted(scalars);
    out.insert("extras".into(), doc.get("extras").cloned().unwrap_or_else(|| Value::Array(Vec::new())));
    out.insert("resources".into(), Value::Array(resources));
    out.insert("tags".into(), Value::Array(tags));
    let mut group_list: Vec<&Group> = groups.iter().filter(|g| g.is_active() && !g.is_organization).collect();
    group_list.sort_by(|a, b| a.display_name().cmp(b.display_name()).then(a.name.cmp(&b.name)));
    out.insert(
        "groups".into(),
        Value::Array(group_list.into_iter().map(|g| g.package_group_summary(site_url)).collect()),
    );
    let relationship = |r: &Relationship| {
        serde_json::json!({
            "id": r.id,
            "subject_package_id": r.subject_package_id,
            "object_package_id": r.object_package_id,
            "type": r.relationship_type,
            "comment": r.comment,
            "state": r.state,
        })
    };
    out.insert(
        "relationships_as_subject".into(),
        Value::Array(
            relationships.iter().filter(|r| r.subject_package_id == record.id).map(relationship).collect(),
        ),
    );
    out.insert(
        "relationships_as_object".into(),
        Value::Array(
            relationships.iter().filter(|r| r.object_package_id == record.id).map(relationship).collect(),
        ),
    );
    out
}

/// Renders a dataset with what it embeds, read in the same transaction.
pub fn render_in_tx(
    tx: &mut Tx<'_>,
    record: &PackageRecord,
    site_url: &str,
) -> ActionResult<Map<String, Value>> {
    let organization = match &record.owner_org {
        Some(org) => tx.group_by_id_or_name(org)?,
        None => None,
    };
    let group_ids: Vec<String> =
        tx.memberships_of(MemberKind::Package, &record.id)?.into_iter().map(|m| m.group_id).collect();
    let groups = tx.groups_by_ids(&group_ids)?;
    // A dataset's dict is shown to everyone who may read it: it names only related datasets
    // that everyone may read (active and public), so it never reveals a private, draft or
    // deleted one. `package_relationships_list` lists the others to those who may read them.
    let mut relationships = tx.relationships_of(&record.id)?;
    let others: Vec<String> = related_ids(&record.id, &relationships);
    if !others.is_empty() {
        let visible: std::collections::HashSet<String> = tx
            .packages_by_ids(&others)?
            .into_iter()
            .filter(|p| p.state == datahavn_domain::package::PackageState::Active && !p.private)
            .map(|p| p.id)
            .collect();
        relationships.retain(|r| {
            let other =
                if r.subject_package_id == record.id { &r.object_package_id } else { &r.subject_package_id };
            other == &record.id || visible.contains(other)
        });
    }
    Ok(render_package(record, organization.as_ref(), &groups, &relationships, site_url))
}

/// The other datasets of these relationships of `id`.
fn related_ids(id: &str, relationships: &[Relationship]) -> Vec<String> {
    let mut others: Vec<String> = relationships
        .iter()
        .flat_map(|r| [r.subject_package_id.clone(), r.object_package_id.clone()])
        .filter(|other| other != id)
        .collect();
    others.sort();
    others.dedup();
    others
}

/// Re-renders the datasets related to `id` (after its visibility changed: their dicts name
/// it only while it is active and public).
pub fn rerender_related(tx: &mut Tx<'_>, id: &str, site_url: &str) -> ActionResult<()> {
    let relationships = tx.relationships_of(id)?;
    rerender_packages(tx, &related_ids(id, &relationships), site_url)
}

/// Re-renders datasets after something they embed changed (an organization, a group, a
/// relationship); in the caller's transaction.
pub fn rerender_packages(tx: &mut Tx<'_>, ids: &[String], site_url: &str) -> ActionResult<()> {
    for mut record in tx.packages_by_ids(ids)? {
        record.rendered = Value::Object(render_in_tx(tx, &record, site_url)?).to_string();
        tx.set_package_rendered(&record)?;
    }
    Ok(())
}

/// Re-renders every dataset owned by, or in, an organization or group.
pub fn rerender_packages_of_group(tx: &mut Tx<'_>, group_id: &str, site_url: &str) -> ActionResult<()> {
    let mut ids = tx.all_package_ids_of_org(group_id)?;
    ids.extend(tx.members_of_group(group_id, Some(MemberKind::Package))?.into_iter().map(|m| m.table_id));
    ids.sort();
    ids.dedup();
    rerender_packages(tx, &ids, site_url)
}
