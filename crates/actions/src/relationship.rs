//! Relationships between datasets. A relationship is stored in its forward form (`child_of`,
//! never `parent_of`); asking for the reverse type from the other side finds the same one.

use datahavn_domain::authz::{self, Memberships};
use datahavn_domain::catalog::{PackageRecord, Relationship};
use datahavn_storage::Tx;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::memberships;
use crate::args::{authenticated, required};
use crate::render::rerender_packages;
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// (forward, reverse) pairs, as CKAN lists them.
const TYPES: &[(&str, &str)] = &[
    ("depends_on", "dependency_of"),
    ("derives_from", "has_derivation"),
    ("links_to", "linked_from"),
    ("child_of", "parent_of"),
];

/// The forward type of any type, and whether it was given in reverse.
fn forward(kind: &str) -> Option<(&'static str, bool)> {
    TYPES.iter().find_map(|(fwd, rev)| {
        if *fwd == kind {
            Some((*fwd, false))
        } else if *rev == kind {
            Some((*fwd, true))
        } else {
            None
        }
    })
}

fn reverse_of(forward_type: &str) -> &str {
    TYPES.iter().find(|(fwd, _)| *fwd == forward_type).map_or(forward_type, |(_, rev)| rev)
}

/// CKAN's `one_of` message, with the types as a Python list.
fn unknown_type(field: &str) -> ActionError {
    let all: Vec<String> = TYPES.iter().flat_map(|(f, r)| [format!("'{f}'"), format!("'{r}'")]).collect();
    ActionError::field(field, format!("Value must be one of [{}]", all.join(", ")))
}

fn parse_type(field: &str, kind: &str) -> ActionResult<(&'static str, bool)> {
    forward(kind).ok_or_else(|| unknown_type(field))
}

/// The two datasets named by `subject` and `object`, as CKAN reports them missing.
fn both(tx: &mut Tx<'_>, subject: &str, object: &str) -> ActionResult<(PackageRecord, PackageRecord)> {
    let first = tx
        .package_by_id_or_name(subject)?
        .ok_or_else(|| ActionError::not_found(format!("Subject package '{subject}' was not found.")))?;
    let second = tx
        .package_by_id_or_name(object)?
        .ok_or_else(|| ActionError::not_found(format!("Object package '{object}' was not found.")))?;
    Ok((first, second))
}

fn may_edit_both(who: &Memberships, a: &PackageRecord, b: &PackageRecord) -> bool {
    authz::can_edit_package(who, &a.access()) && authz::can_edit_package(who, &b.access())
}

/// The stored relationship between the two datasets with this (forward) type, either way round
/// as the type says.
fn stored_between(
    tx: &mut Tx<'_>,
    subject: &PackageRecord,
    object: &PackageRecord,
    forward_type: &str,
) -> ActionResult<Option<Relationship>> {
    Ok(tx.relationships_of(&subject.id)?.into_iter().find(|r| {
        r.subject_package_id == subject.id
            && r.object_package_id == object.id
            && r.relationship_type == forward_type
    }))
}

/// A relationship between two datasets, with their names.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelationshipDict {
    /// The subject dataset's name.
    pub subject: String,
    /// `depends_on`, `dependency_of`, `derives_from`, `has_derivation`, `links_to`,
    /// `linked_from`, `child_of` or `parent_of`.
    #[serde(rename = "type")]
    #[schema(rename = "type", example = "child_of")]
    pub relationship_type: String,
    /// The object dataset's name.
    pub object: String,
    /// `""` when none was given.
    pub comment: String,
}

/// `{subject, type, object, comment}` with dataset names, from `from`'s point of view (the
/// stored direction when `from` is the subject or not part of it).
fn as_dict(r: &Relationship, from: &str, names: &dyn Fn(&str) -> String) -> RelationshipDict {
    let (subject, relationship_type, object) = if r.object_package_id == from && r.subject_package_id != from
    {
        (&r.object_package_id, reverse_of(&r.relationship_type), &r.subject_package_id)
    } else {
        (&r.subject_package_id, r.relationship_type.as_str(), &r.object_package_id)
    };
    RelationshipDict {
        subject: names(subject),
        relationship_type: relationship_type.to_owned(),
        object: names(object),
        comment: r.comment.clone(),
    }
}

fn stored_dict(r: &Relationship, subject: &PackageRecord, object: &PackageRecord) -> ActionResult {
    let names = |id: &str| if id == subject.id { subject.name.clone() } else { object.name.clone() };
    to_json(&as_dict(r, &r.subject_package_id, &names))
}

/// What create, update and delete address: both datasets, the type in forward form with the
/// stored subject and object.
struct Resolved {
    subject: PackageRecord,
    object: PackageRecord,
    forward_type: &'static str,
}

fn resolve(tx: &mut Tx<'_>, subject_ref: &str, object_ref: &str, kind: &str) -> ActionResult<Resolved> {
    let (first, second) = both(tx, subject_ref, object_ref)?;
    let (forward_type, reversed) = parse_type("type", kind)?;
    let (subject, object) = if reversed { (second, first) } else { (first, second) };
    Ok(Resolved { subject, object, forward_type })
}

request! {
    /// The two datasets, the relationship's type and its comment.
    pub struct RelationshipRequest {
        /// The id or name of the dataset that is the subject.
        pub subject: String,
        /// The id or name of the dataset that is the object.
        pub object: String,
        /// `depends_on`, `dependency_of`, `derives_from`, `has_derivation`, `links_to`,
        /// `linked_from`, `child_of` or `parent_of`.
        pub r#type: String,
        /// A comment on the relationship (default `""`).
        pub comment: Option<String>,
    }
}

request! {
    /// The two datasets and the relationship's type.
    pub struct RelationshipIdentityRequest {
        /// The id or name of the dataset that is the subject.
        pub subject: String,
        /// The id or name of the dataset that is the object.
        pub object: String,
        /// `depends_on`, `dependency_of`, `derives_from`, `has_derivation`, `links_to`,
        /// `linked_from`, `child_of` or `parent_of`.
        pub r#type: String,
    }
}

pub const PACKAGE_RELATIONSHIP_CREATE: Action = Action {
    name: "package_relationship_create",
    side_effect_free: false,
    tag: "datasets",
    doc: "Create a relationship between two datasets (or update the comment of an existing \
          one).\n\n\
          The relationship is stored in its forward form (`child_of`, never `parent_of`). You \
          must be allowed to edit both datasets.\n\n\
          :returns: the relationship `{subject, type, object, comment}` in its stored (forward) \
          form, with dataset names\n:rtype: dictionary",
    request: request_doc::<RelationshipRequest>,
    response: response_doc::<RelationshipDict>,
    errors: &[
        (403, "Anonymous, or not allowed to edit both datasets"),
        (404, "`Not found: Subject package '<subject>' was not found.` (or object)"),
        (409, "A key missing or an unknown type"),
    ],
    run: |ctx, params| package_relationship_create(ctx, RelationshipRequest::parse(params)?),
};

fn package_relationship_create(ctx: &Context<'_>, request: RelationshipRequest) -> ActionResult {
    let RelationshipRequest { subject: subject_ref, object: object_ref, r#type: kind, comment } = request;
    let comment = comment.unwrap_or_default();
    ctx.store().write(|tx| {
        let request = resolve(tx, &subject_ref, &object_ref, &kind)?;
        authenticated(ctx, "package_relationship_create")?;
        let who = memberships(tx, ctx)?;
        if !may_edit_both(&who, &request.subject, &request.object) {
            return Err(ActionError::denied(format!(
                "User {} not authorized to edit these packages",
                ctx.actor.name()
            )));
        }
        let relationship = match stored_between(tx, &request.subject, &request.object, request.forward_type)?
        {
            Some(existing) => Relationship { comment: comment.clone(), ..existing },
            None => Relationship {
                id: uuid::Uuid::new_v4().to_string(),
                subject_package_id: request.subject.id.clone(),
                object_package_id: request.object.id.clone(),
                relationship_type: request.forward_type.to_owned(),
                comment: comment.clone(),
                state: "active".into(),
            },
        };
        tx.upsert_relationship(&relationship)?;
        rerender_packages(
            tx,
            &[request.subject.id.clone(), request.object.id.clone()],
            &ctx.site().site_url,
        )?;
        log::info!(
            "relationship {} {} {} created by {:?}",
            request.subject.name,
            request.forward_type,
            request.object.name,
            ctx.actor.name()
        );
        stored_dict(&relationship, &request.subject, &request.object)
    })
}

pub const PACKAGE_RELATIONSHIP_UPDATE: Action = Action {
    name: "package_relationship_update",
    side_effect_free: false,
    tag: "datasets",
    doc: "Update the comment of a relationship between two datasets.\n\n\
          `subject`, `object` and `type` identify it; only the comment changes (to `\"\"` when \
          none is given). You must be allowed to edit both datasets.\n\n\
          :returns: the relationship in its stored form\n:rtype: dictionary",
    request: request_doc::<RelationshipRequest>,
    response: response_doc::<RelationshipDict>,
    errors: &[
        (403, "Anonymous, or not allowed to edit both datasets"),
        (
            404,
            "`Not found: Subject package '<subject>' was not found.` (or object), or \
             `Not found: This relationship between the packages was not found.`",
        ),
        (409, "A key missing or an unknown type"),
    ],
    run: |ctx, params| package_relationship_update(ctx, RelationshipRequest::parse(params)?),
};

fn package_relationship_update(ctx: &Context<'_>, request: RelationshipRequest) -> ActionResult {
    let RelationshipRequest { subject: subject_ref, object: object_ref, r#type: kind, comment } = request;
    let comment = comment.unwrap_or_default();
    ctx.store().write(|tx| {
        let request = resolve(tx, &subject_ref, &object_ref, &kind)?;
        authenticated(ctx, "package_relationship_update")?;
        let who = memberships(tx, ctx)?;
        if !may_edit_both(&who, &request.subject, &request.object) {
            return Err(ActionError::denied(format!(
                "User {} not authorized to edit these packages",
                ctx.actor.name()
            )));
        }
        let existing = stored_between(tx, &request.subject, &request.object, request.forward_type)?
            .ok_or_else(|| ActionError::not_found("This relationship between the packages was not found."))?;
        let relationship = Relationship { comment, ..existing };
        tx.upsert_relationship(&relationship)?;
        rerender_packages(
            tx,
            &[request.subject.id.clone(), request.object.id.clone()],
            &ctx.site().site_url,
        )?;
        stored_dict(&relationship, &request.subject, &request.object)
    })
}

pub const PACKAGE_RELATIONSHIP_DELETE: Action = Action {
    name: "package_relationship_delete",
    side_effect_free: false,
    tag: "datasets",
    doc: "Delete a relationship between two datasets.\n\n\
          You must be allowed to edit both datasets.\n\n:rtype: null",
    request: request_doc::<RelationshipIdentityRequest>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Anonymous, or not allowed to edit both datasets"),
        (
            404,
            "`Not found: Subject package '<subject>' was not found.` (or object), or `Not found` \
             for no such relationship",
        ),
        (409, "A key missing or an unknown type"),
    ],
    run: |ctx, params| package_relationship_delete(ctx, RelationshipIdentityRequest::parse(params)?),
};

fn package_relationship_delete(ctx: &Context<'_>, request: RelationshipIdentityRequest) -> ActionResult {
    let RelationshipIdentityRequest { subject: subject_ref, object: object_ref, r#type: kind } = request;
    ctx.store().write(|tx| {
        let request = resolve(tx, &subject_ref, &object_ref, &kind)?;
        let existing = stored_between(tx, &request.subject, &request.object, request.forward_type)?
            .ok_or(ActionError::NotFound(None))?;
        authenticated(ctx, "package_relationship_delete")?;
        let who = memberships(tx, ctx)?;
        if !may_edit_both(&who, &request.subject, &request.object) {
            return Err(ActionError::denied(format!(
                "User {} not authorized to delete relationship {}",
                ctx.actor.name(),
                existing.id
            )));
        }
        tx.delete_relationship(&existing.id)?;
        rerender_packages(
            tx,
            &[request.subject.id.clone(), request.object.id.clone()],
            &ctx.site().site_url,
        )?;
        log::info!(
            "relationship {} {} {} deleted by {:?}",
            request.subject.name,
            request.forward_type,
            request.object.name,
            ctx.actor.name()
        );
        Ok::<_, ActionError>(())
    })?;
    Ok(serde_json::Value::Null)
}

pub const PACKAGE_RELATIONSHIPS_LIST: Action = Action {
    name: "package_relationships_list",
    side_effect_free: true,
    tag: "datasets",
    doc: "Return a dataset's relationships, from its point of view.\n\n\
          A stored `B child_of A` is listed for A as `A parent_of B`. Relationships with \
          datasets you may not read are left out.\n\n\
          :returns: `[{subject, type, object, comment}]` with dataset names\n\
          :rtype: list of dictionaries",
    request: request_doc::<PackageRelationshipsListRequest>,
    response: response_doc::<Vec<RelationshipDict>>,
    errors: &[
        (403, "A dataset you may not read"),
        (
            404,
            "`Not found: First package named in request was not found.` (or second), or no \
             relationship of type `rel`",
        ),
        (409, "`id` missing or an unknown `rel`"),
    ],
    run: |ctx, params| package_relationships_list(ctx, PackageRelationshipsListRequest::parse(params)?),
};

request! {
    /// The dataset, and which of its relationships to list.
    pub struct PackageRelationshipsListRequest {
        /// The id or name of the dataset.
        pub id: String => |p, k, _| required(p, [k]).map(|[v]| v),
        /// Only relationships with this dataset (id or name).
        pub id2: Option<String>,
        /// Only relationships of this type, as seen from `id` (`relationships`: every type).
        pub rel: Option<String>,
    }
}

fn package_relationships_list(ctx: &Context<'_>, request: PackageRelationshipsListRequest) -> ActionResult {
    let id = request.id;
    let id2 = request.id2.filter(|v| !v.is_empty());
    let rel = request.rel.filter(|r| !r.is_empty() && r != "relationships");
    ctx.store().read(|tx| {
        let first = tx
            .package_by_id_or_name(&id)?
            .ok_or_else(|| ActionError::not_found("First package named in request was not found."))?;
        let second =
            match &id2 {
                None => None,
                Some(reference) => Some(tx.package_by_id_or_name(reference)?.ok_or_else(|| {
                    ActionError::not_found("Second package named in address was not found.")
                })?),
            };
        let wanted = match &rel {
            None => None,
            Some(kind) => Some(parse_type("rel", kind)?),
        };
        let who = memberships(tx, ctx)?;
        let readable = authz::can_read_package(&who, &first.access())
            && second.as_ref().is_none_or(|s| authz::can_read_package(&who, &s.access()));
        if !readable {
            return Err(ActionError::denied(format!(
                "User {} not authorized to read these packages",
                ctx.actor.name()
            )));
        }
        let mut found: Vec<Relationship> = tx
            .relationships_of(&first.id)?
            .into_iter()
            .filter(|r| {
                let other = if r.subject_package_id == first.id {
                    &r.object_package_id
                } else {
                    &r.subject_package_id
                };
                second.as_ref().is_none_or(|s| *other == s.id)
            })
            .filter(|r| match wanted {
                None => true,
                // The type as seen from `first`: forward when it is the subject.
                Some((forward_type, reversed)) => {
                    r.relationship_type == forward_type
                        && if reversed {
                            r.object_package_id == first.id
                        } else {
                            r.subject_package_id == first.id
                        }
                }
            })
            .collect();
        let other_ids: Vec<String> = found
            .iter()
            .flat_map(|r| [r.subject_package_id.clone(), r.object_package_id.clone()])
            .filter(|other| *other != first.id)
            .collect();
        let others = tx.packages_by_ids(&other_ids)?;
        // Never name a dataset the caller may not see.
        found.retain(|r| {
            [&r.subject_package_id, &r.object_package_id].iter().all(|pid| {
                **pid == first.id
                    || others.iter().any(|o| o.id == **pid && authz::can_read_package(&who, &o.access()))
            })
        });
        if rel.is_some() && found.is_empty() {
            return Err(ActionError::not_found(format!(
                "Relationship \"{id} {} {}\" not found.",
                rel.as_deref().unwrap_or_default(),
                id2.as_deref().unwrap_or("None")
            )));
        }
        let names = |pid: &str| {
            if pid == first.id {
                first.name.clone()
            } else {
                others.iter().find(|o| o.id == pid).map_or_else(|| pid.to_owned(), |o| o.name.clone())
            }
        };
        to_json(&found.iter().map(|r| as_dict(r, &first.id, &names)).collect::<Vec<_>>())
    })
}
