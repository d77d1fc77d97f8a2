//! Recording activities: every create, update and delete of a dataset, organization or group.

use datahavn_domain::Timestamp;
use datahavn_domain::catalog::{Activity, PackageRecord};
use datahavn_domain::group::{Group, MemberKind};
use datahavn_domain::package::PackageState;
use datahavn_storage::Tx;
use serde_json::{Value, json};

use crate::{ActionResult, Context};

/// The user an activity is recorded for: empty for the site (and anonymous callers), whose
/// activities the activity lists hide unless a sysadmin asks for them.
fn actor_id<'a>(ctx: &'a Context<'_>) -> &'a str {
    ctx.actor.user_id().unwrap_or_default()
}

/// Records a change to a dataset as CKAN's activity plugin does: `changed package`; for a
/// deleted dataset `deleted package` once, and nothing after that. Gives the dict back.
pub fn record_package_change(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    record: &PackageRecord,
    rendered: Value,
) -> ActionResult<Value> {
    if record.state != PackageState::Deleted {
        return record_package(ctx, tx, "changed package", record, rendered);
    }
    if tx.has_activity(&record.id, "deleted package")? {
        return Ok(rendered);
    }
    record_package(ctx, tx, "deleted package", record, rendered)
}

/// Whether a dataset activity is public, and its permission labels: CKAN's
/// `get_dataset_labels` (collaborators on): `public`, or the dataset's collaborators, then its
/// organization's members, or its creator when it has no organization.
fn dataset_labels(record: &PackageRecord, kind: &str) -> (bool, Vec<String>) {
    // A public dataset's deletion stays in the public stream.
    let public = !record.private && (record.state == PackageState::Active || kind == "deleted package");
    if public {
        return (true, vec!["public".to_owned()]);
    }
    let holder = match (&record.owner_org, &record.creator_user_id) {
        (Some(org), _) => Some(format!("member-{org}")),
        (None, Some(creator)) => Some(format!("creator-{creator}")),
        (None, None) => None,
    };
    (false, std::iter::once(format!("collaborator-{}", record.id)).chain(holder).collect())
}

/// Records a dataset activity (`new package`, `changed package`, `deleted package`) with the
/// dataset dict as it became: the dict is the activity's (not a copy) while it is written, then
/// given back.
pub fn record_package(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    kind: &str,
    record: &PackageRecord,
    rendered: Value,
) -> ActionResult<Value> {
    let groups =
        tx.memberships_of(MemberKind::Package, &record.id)?.into_iter().map(|m| m.group_id).collect();
    record_with_groups(ctx, tx, kind, record, rendered, groups)
}

/// [`record_package`]'s `new package` for a dataset created in this transaction, whose groups
/// (`groups`) its creator just wrote.
pub fn record_new_package(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    record: &PackageRecord,
    rendered: Value,
    groups: Vec<String>,
) -> ActionResult<Value> {
    record_with_groups(ctx, tx, "new package", record, rendered, groups)
}

fn record_with_groups(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    kind: &str,
    record: &PackageRecord,
    rendered: Value,
    groups: Vec<String>,
) -> ActionResult<Value> {
    let mut group_ids: Vec<String> = record.owner_org.iter().cloned().collect();
    group_ids.extend(groups);
    let (public, labels) = dataset_labels(record, kind);
    let mut data = serde_json::Map::with_capacity(2);
    data.insert("package".into(), rendered);
    data.insert("actor".into(), ctx.actor.name().into());
    let activity = Activity {
        id: uuid::Uuid::new_v4().to_string(),
        timestamp: Timestamp::now(),
        user_id: actor_id(ctx).to_owned(),
        object_id: record.id.clone(),
        group_ids,
        activity_type: kind.to_owned(),
        public,
        permission_labels: labels,
        data: Value::Object(data),
    };
    tx.insert_activity(&activity)?;
    Ok(match activity.data {
        Value::Object(mut data) => data.remove("package").unwrap_or_default(),
        other => other,
    })
}

/// Records an organization or group activity (`new organization`, `changed group`, ...). Its
/// data is the group's row as CKAN's activity plugin keeps it (`table_dictize`): the table's
/// columns and the extras as an object — no members, datasets or counts, and no actor.
pub fn record_group(ctx: &Context<'_>, tx: &mut Tx<'_>, kind: &str, group: &Group) -> ActionResult<()> {
    let extras: serde_json::Map<String, Value> =
        group.extras.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let row = json!({
        "id": group.id,
        "name": group.name,
        "title": group.title,
        "type": group.group_type,
        "description": group.description,
        "image_url": group.image_url,
        "created": group.created.to_string(),
        "is_organization": group.is_organization,
        "approval_status": group.approval_status,
        "state": group.state.as_str(),
        "extras": extras,
    });
    let group_id = &group.id;
    tx.insert_activity(&Activity {
        id: uuid::Uuid::new_v4().to_string(),
        timestamp: Timestamp::now(),
        user_id: actor_id(ctx).to_owned(),
        object_id: group_id.to_owned(),
        group_ids: vec![group_id.to_owned()],
        activity_type: kind.to_owned(),
        public: true,
        permission_labels: Vec::new(),
        data: json!({"group": row}),
    })?;
    Ok(())
}

/// Records a user activity (`new user`, `changed user`).
pub fn record_user(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    kind: &str,
    user_id: &str,
    dict: &Value,
) -> ActionResult<()> {
    tx.insert_activity(&Activity {
        id: uuid::Uuid::new_v4().to_string(),
        timestamp: Timestamp::now(),
        // CKAN's activity plugin credits a user's activities to that user, whoever made them
        // (a sysadmin creating the account, the site).
        user_id: user_id.to_owned(),
        object_id: user_id.to_owned(),
        group_ids: Vec::new(),
        activity_type: kind.to_owned(),
        public: true,
        permission_labels: Vec::new(),
        data: json!({"user": dict, "actor": ctx.actor.name()}),
    })?;
    Ok(())
}

/// Records a resource view activity (`new resource view`, `changed resource view`) about the
/// view's dataset, as CKAN's activity plugin does: the view's dict as data. Its answers show no
/// labels (CKAN sets none); they are kept so that streams hide a private dataset's views as
/// they hide its other activities.
pub fn record_view(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    kind: &str,
    package: &PackageRecord,
    view: &Value,
) -> ActionResult<()> {
    let (public, labels) = dataset_labels(package, kind);
    tx.insert_activity(&Activity {
        id: uuid::Uuid::new_v4().to_string(),
        timestamp: Timestamp::now(),
        user_id: actor_id(ctx).to_owned(),
        object_id: package.id.clone(),
        group_ids: Vec::new(),
        activity_type: kind.to_owned(),
        public,
        permission_labels: labels,
        data: view.clone(),
    })?;
    Ok(())
}
