//! `organization_autocomplete` and `group_autocomplete`.

use crate::dto::GroupAutocompleteItem;
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionResult, Context, to_json};

use super::{Kind, present};

request! {
    /// The text to complete.
    pub struct GroupAutocomplete {
        /// The string to search for in names and titles (empty: every one).
        #[schema(min_length = 0)]
        pub q: String => present,
        /// The maximum number of results (default 20).
        pub limit: Option<u64>,
    }
}

pub const ORGANIZATION_AUTOCOMPLETE: Action = Action {
    name: "organization_autocomplete",
    side_effect_free: true,
    tag: "organizations",
    doc: "Return a list of organization names that contain a string.\n\n\
          Active organizations whose name or title contains ``q``.\n\n\
          :rtype: a list of organization dictionaries each with keys ``'name'``, ``'title'``, \
          and ``'id'``",
    request: request_doc::<GroupAutocomplete>,
    response: response_doc::<Vec<GroupAutocompleteItem>>,
    errors: &[(409, "`q` missing or not text, or a bad `limit`")],
    run: |ctx, params| autocomplete(ctx, Kind::Organization, GroupAutocomplete::parse(params)?),
};

pub const GROUP_AUTOCOMPLETE: Action = Action {
    name: "group_autocomplete",
    side_effect_free: true,
    tag: "groups",
    doc: "Return a list of group names that contain a string.\n\n\
          Active groups whose name or title contains ``q``.\n\n\
          :rtype: a list of group dictionaries each with keys ``'name'``, ``'title'``, and ``'id'``",
    request: request_doc::<GroupAutocomplete>,
    response: response_doc::<Vec<GroupAutocompleteItem>>,
    errors: &[(409, "`q` missing or not text, or a bad `limit`")],
    run: |ctx, params| autocomplete(ctx, Kind::Group, GroupAutocomplete::parse(params)?),
};

fn autocomplete(ctx: &Context<'_>, kind: Kind, request: GroupAutocomplete) -> ActionResult {
    let limit = i64::try_from(request.limit.unwrap_or(20)).unwrap_or(i64::MAX);
    let groups = ctx.store().read(|tx| tx.autocomplete_groups(&request.q, kind.is_org(), limit))?;
    let items: Vec<GroupAutocompleteItem> = groups
        .into_iter()
        .map(|g| GroupAutocompleteItem { id: g.id, name: g.name, title: g.title })
        .collect();
    to_json(&items)
}
