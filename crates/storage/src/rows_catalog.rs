//! Rows of the catalogue tables and their conversions.

use chrono::NaiveDateTime;
use datahavn_domain::Timestamp;
use datahavn_domain::catalog::{Activity, PackageRecord, ResourceRecord, TagRecord};
use datahavn_domain::group::{Group, GroupState, Member, MemberCapacity, MemberKind, MemberState};
use datahavn_domain::package::PackageState;
use diesel::prelude::*;
use serde_json::{Map, Value};

use crate::pack::{
    pack_activity, pack_beside, pack_document, pack_rendered, remember_rendered, unpack, unpack_document,
    unpack_owned,
};
use crate::schema::{activities, groups, members, packages, resources, tags};
use crate::{StorageError, StorageResult};

fn corrupt(what: &str, id: &str, detail: impl std::fmt::Display) -> StorageError {
    StorageError::Internal(format!("{what} {id}: {detail}"))
}

fn json_object(what: &str, id: &str, text: &str) -> StorageResult<Map<String, Value>> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(corrupt(what, id, "document is not an object")),
        Err(e) => Err(corrupt(what, id, e)),
    }
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = groups)]
pub(crate) struct GroupRow {
    pub id: String,
    pub name: String,
    pub title: String,
    pub description: String,
    pub image_url: String,
    pub group_type: String,
    pub is_organization: bool,
    pub approval_status: String,
    pub state: String,
    pub created: NaiveDateTime,
    pub extras: String,
    pub document: String,
}

impl From<&Group> for GroupRow {
    fn from(group: &Group) -> Self {
        let extras: Vec<Value> =
            group.extras.iter().map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect();
        Self {
            id: group.id.clone(),
            name: group.name.clone(),
            title: group.title.clone(),
            description: group.description.clone(),
            image_url: group.image_url.clone(),
            group_type: group.group_type.clone(),
            is_organization: group.is_organization,
            approval_status: group.approval_status.clone(),
            state: group.state.as_str().to_owned(),
            created: group.created.naive(),
            extras: Value::Array(extras).to_string(),
            document: Value::Object(group.document.clone()).to_string(),
        }
    }
}

impl TryFrom<GroupRow> for Group {
    type Error = StorageError;

    fn try_from(row: GroupRow) -> StorageResult<Self> {
        let state = GroupState::parse(&row.state).ok_or_else(|| corrupt("group", &row.id, "bad state"))?;
        let extras: Vec<Value> =
            serde_json::from_str(&row.extras).map_err(|e| corrupt("group", &row.id, e))?;
        let extras = extras
            .iter()
            .filter_map(|e| {
                Some((e["key"].as_str()?.to_owned(), e["value"].as_str().unwrap_or_default().to_owned()))
            })
            .collect();
        let document = json_object("group", &row.id, &row.document)?;
        Ok(Self {
            id: row.id,
            name: row.name,
            title: row.title,
            description: row.description,
            image_url: row.image_url,
            group_type: row.group_type,
            is_organization: row.is_organization,
            approval_status: row.approval_status,
            state,
            created: Timestamp::from_naive(row.created),
            extras,
            document,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = members)]
pub(crate) struct MemberRow {
    pub id: String,
    pub group_id: String,
    pub table_name: String,
    pub table_id: String,
    pub capacity: String,
    pub state: String,
}

impl From<&Member> for MemberRow {
    fn from(m: &Member) -> Self {
        Self {
            id: m.id.clone(),
            group_id: m.group_id.clone(),
            table_name: m.table_name.as_str().to_owned(),
            table_id: m.table_id.clone(),
            capacity: m.capacity.as_str().to_owned(),
            state: m.state.as_str().to_owned(),
        }
    }
}

impl TryFrom<MemberRow> for Member {
    type Error = StorageError;

    fn try_from(m: MemberRow) -> StorageResult<Self> {
        let table_name =
            MemberKind::parse(&m.table_name).ok_or_else(|| corrupt("member", &m.id, "bad table_name"))?;
        let state = MemberState::parse(&m.state).ok_or_else(|| corrupt("member", &m.id, "bad state"))?;
        Ok(Self {
            capacity: MemberCapacity::parse(&m.capacity),
            id: m.id,
            group_id: m.group_id,
            table_name,
            table_id: m.table_id,
            state,
        })
    }
}

#[derive(Debug, Queryable, Selectable, AsChangeset)]
#[diesel(table_name = packages)]
#[diesel(treat_none_as_null = true)]
pub(crate) struct PackageRow {
    pub id: String,
    pub name: String,
    pub title: String,
    pub package_type: String,
    pub state: String,
    pub private: bool,
    pub owner_org: Option<String>,
    pub creator_user_id: Option<String>,
    pub metadata_created: NaiveDateTime,
    pub metadata_modified: NaiveDateTime,
    /// Packed ([`crate::pack`]).
    pub document: Vec<u8>,
    /// Packed ([`crate::pack`]).
    pub rendered: Vec<u8>,
}

impl PackageRow {
    /// A dataset's row, its document and rendered dict packed. `beside`: the rendered dict on
    /// the packing thread while this one packs the document ([`pack_beside`]) — for SQLite,
    /// whose one writer leaves the other core free; on PostgreSQL its backends take it.
    pub(crate) fn new(p: &PackageRecord, beside: bool) -> Self {
        // A map of text keys to JSON values always serializes.
        let document = serde_json::to_string(&p.document).unwrap_or_default();
        let (rendered, document) = match beside {
            true => {
                let (rendered, document) =
                    pack_beside(p.rendered.clone(), || pack_document(&document, &p.rendered));
                remember_rendered(&p.rendered, &rendered);
                (rendered, document)
            }
            false => (pack_rendered(&p.rendered), pack_document(&document, &p.rendered)),
        };
        Self::with_values(p, document, rendered)
    }

    /// A dataset's row holding these stored values of its document and rendered dict.
    pub(crate) fn with_values(p: &PackageRecord, document: Vec<u8>, rendered: Vec<u8>) -> Self {
        Self {
            id: p.id.clone(),
            name: p.name.clone(),
            title: p.title.clone(),
            package_type: p.package_type.clone(),
            state: p.state.as_str().to_owned(),
            private: p.private,
            owner_org: p.owner_org.clone(),
            creator_user_id: p.creator_user_id.clone(),
            metadata_created: p.metadata_created.naive(),
            metadata_modified: p.metadata_modified.naive(),
            document,
            rendered,
        }
    }
}

impl PackageRow {
    /// The row as an insert's values, column by column: diesel prepares an `Insertable`
    /// struct's insert anew each time on PostgreSQL (it may write `DEFAULT`), these once per
    /// connection.
    #[allow(clippy::type_complexity)]
    pub(crate) fn insert_values(
        &self,
    ) -> (
        diesel::dsl::Eq<packages::id, &String>,
        diesel::dsl::Eq<packages::name, &String>,
        diesel::dsl::Eq<packages::title, &String>,
        diesel::dsl::Eq<packages::package_type, &String>,
        diesel::dsl::Eq<packages::state, &String>,
        diesel::dsl::Eq<packages::private, &bool>,
        diesel::dsl::Eq<packages::owner_org, &Option<String>>,
        diesel::dsl::Eq<packages::creator_user_id, &Option<String>>,
        diesel::dsl::Eq<packages::metadata_created, &NaiveDateTime>,
        diesel::dsl::Eq<packages::metadata_modified, &NaiveDateTime>,
        diesel::dsl::Eq<packages::document, &Vec<u8>>,
        diesel::dsl::Eq<packages::rendered, &Vec<u8>>,
    ) {
        (
            packages::id.eq(&self.id),
            packages::name.eq(&self.name),
            packages::title.eq(&self.title),
            packages::package_type.eq(&self.package_type),
            packages::state.eq(&self.state),
            packages::private.eq(&self.private),
            packages::owner_org.eq(&self.owner_org),
            packages::creator_user_id.eq(&self.creator_user_id),
            packages::metadata_created.eq(&self.metadata_created),
            packages::metadata_modified.eq(&self.metadata_modified),
            packages::document.eq(&self.document),
            packages::rendered.eq(&self.rendered),
        )
    }
}

impl TryFrom<PackageRow> for PackageRecord {
    type Error = StorageError;

    fn try_from(row: PackageRow) -> StorageResult<Self> {
        let state =
            PackageState::parse(&row.state).ok_or_else(|| corrupt("package", &row.id, "bad state"))?;
        let rendered = unpack_owned(row.rendered)?;
        let document = json_object("package", &row.id, &unpack_document(&row.document, &rendered)?)?;
        Ok(Self {
            id: row.id,
            name: row.name,
            title: row.title,
            package_type: row.package_type,
            state,
            private: row.private,
            owner_org: row.owner_org,
            creator_user_id: row.creator_user_id,
            metadata_created: Timestamp::from_naive(row.metadata_created),
            metadata_modified: Timestamp::from_naive(row.metadata_modified),
            document,
            rendered,
        })
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = resources)]
pub(crate) struct ResourceRow {
    pub id: String,
    pub package_id: String,
    pub position: i32,
    pub state: String,
    pub url: String,
    pub format: String,
    pub name: String,
    pub description: String,
    pub hash: String,
}

impl From<ResourceRow> for ResourceRecord {
    fn from(r: ResourceRow) -> Self {
        Self {
            id: r.id,
            package_id: r.package_id,
            position: r.position,
            state: r.state,
            url: r.url,
            format: r.format,
            name: r.name,
            description: r.description,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = tags)]
pub(crate) struct TagRow {
    pub id: String,
    pub name: String,
    pub vocabulary_id: Option<String>,
}

impl From<TagRow> for TagRecord {
    fn from(t: TagRow) -> Self {
        Self { id: t.id, name: t.name, vocabulary_id: t.vocabulary_id }
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = activities)]
pub(crate) struct ActivityRow {
    pub id: String,
    pub timestamp: NaiveDateTime,
    pub user_id: String,
    pub object_id: String,
    pub group_ids: String,
    pub activity_type: String,
    pub public: bool,
    pub permission_labels: String,
    /// Packed ([`crate::pack`]).
    pub data: Vec<u8>,
}

impl From<&Activity> for ActivityRow {
    fn from(a: &Activity) -> Self {
        Self::with_data(a, pack_activity(&a.data))
    }
}

impl ActivityRow {
    /// The row of an activity whose payload's stored value is `data`.
    pub(crate) fn with_data(a: &Activity, data: Vec<u8>) -> Self {
        Self {
            id: a.id.clone(),
            timestamp: a.timestamp.naive(),
            user_id: a.user_id.clone(),
            object_id: a.object_id.clone(),
            // Delimited so that `LIKE '%|id|%'` finds one id exactly.
            group_ids: if a.group_ids.is_empty() {
                String::new()
            } else {
                format!("|{}|", a.group_ids.join("|"))
            },
            activity_type: a.activity_type.clone(),
            public: a.public,
            permission_labels: serde_json::to_string(&a.permission_labels).unwrap_or_else(|_| "[]".into()),
            data,
        }
    }
}

impl ActivityRow {
    /// The row as an insert's values, column by column (see [`PackageRow::insert_values`]).
    #[allow(clippy::type_complexity)]
    pub(crate) fn insert_values(
        &self,
    ) -> (
        diesel::dsl::Eq<activities::id, &String>,
        diesel::dsl::Eq<activities::timestamp, &NaiveDateTime>,
        diesel::dsl::Eq<activities::user_id, &String>,
        diesel::dsl::Eq<activities::object_id, &String>,
        diesel::dsl::Eq<activities::group_ids, &String>,
        diesel::dsl::Eq<activities::activity_type, &String>,
        diesel::dsl::Eq<activities::public, &bool>,
        diesel::dsl::Eq<activities::permission_labels, &String>,
        diesel::dsl::Eq<activities::data, &Vec<u8>>,
    ) {
        (
            activities::id.eq(&self.id),
            activities::timestamp.eq(&self.timestamp),
            activities::user_id.eq(&self.user_id),
            activities::object_id.eq(&self.object_id),
            activities::group_ids.eq(&self.group_ids),
            activities::activity_type.eq(&self.activity_type),
            activities::public.eq(&self.public),
            activities::permission_labels.eq(&self.permission_labels),
            activities::data.eq(&self.data),
        )
    }
}

impl TryFrom<ActivityRow> for Activity {
    type Error = StorageError;

    fn try_from(a: ActivityRow) -> StorageResult<Self> {
        let data = serde_json::from_str(&unpack(&a.data)?).map_err(|e| corrupt("activity", &a.id, e))?;
        let permission_labels = serde_json::from_str(&a.permission_labels).unwrap_or_default();
        Ok(Self {
            id: a.id,
            timestamp: Timestamp::from_naive(a.timestamp),
            user_id: a.user_id,
            object_id: a.object_id,
            group_ids: a.group_ids.split('|').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            activity_type: a.activity_type,
            public: a.public,
            permission_labels,
            data,
        })
    }
}
