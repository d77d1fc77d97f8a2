//! Tag and vocabulary reads for the tag actions, and resource format counts.
//!
//! Which tags a caller may learn about: free tags of active public datasets; vocabulary tags of
//! active public datasets or of no dataset at all (made with `vocabulary_create`); everything
//! when `everything` is set (sysadmins). A tag that only private or deleted datasets carry is
//! never listed to others, so private datasets do not leak through their tags.

use datahavn_domain::catalog::TagRecord;
use diesel::prelude::*;

use crate::conn::MultiBackend;
use crate::rows_catalog::TagRow;
use crate::schema::{package_tags, packages, resources, tags};
use crate::{StorageResult, Tx};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Which tags a tag list or search wants.
#[derive(Debug, Clone, Default)]
pub struct TagSearch {
    /// Each must be a case-insensitive substring of the name.
    pub terms: Vec<String>,
    /// Tags of this vocabulary (its id); free tags when `None`.
    pub vocabulary_id: Option<String>,
    /// Also tags only private, draft or deleted datasets carry (sysadmins).
    pub everything: bool,
    pub limit: Option<i64>,
    pub offset: i64,
}

/// `%text%` for LIKE with `\` as the escape character.
fn contains_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl Tx<'_> {
    fn tag_search_query(search: &TagSearch) -> tags::BoxedQuery<'static, MultiBackend> {
        let public_use = package_tags::table
            .inner_join(packages::table)
            .filter(packages::state.eq("active"))
            .filter(packages::private.eq(false))
            .select(package_tags::tag_id);
        let mut query = tags::table.into_boxed();
        query = match (&search.vocabulary_id, search.everything) {
            (None, false) => query.filter(tags::vocabulary_id.is_null()).filter(tags::id.eq_any(public_use)),
            (None, true) => query.filter(tags::vocabulary_id.is_null()).filter(
                tags::id.eq_any(
                    package_tags::table
                        .inner_join(packages::table)
                        .filter(packages::state.ne("deleted"))
                        .select(package_tags::tag_id),
                ),
            ),
            (Some(vocabulary), false) => query.filter(tags::vocabulary_id.eq(vocabulary.clone())).filter(
                tags::id
                    .eq_any(public_use)
                    .or(tags::id.ne_all(package_tags::table.select(package_tags::tag_id))),
            ),
            (Some(vocabulary), true) => query.filter(tags::vocabulary_id.eq(vocabulary.clone())),
        };
        for term in &search.terms {
            query = query.filter(lower(tags::name).like(contains_pattern(term)).escape('\\'));
        }
        query
    }

    /// The matching tags, by name, and how many match in all.
    pub fn search_tags(&mut self, search: &TagSearch) -> StorageResult<(i64, Vec<TagRecord>)> {
        let total: i64 = Self::tag_search_query(search).count().get_result(self.conn())?;
        // SQLite refuses OFFSET without LIMIT.
        let rows: Vec<TagRow> = Self::tag_search_query(search)
            .select(TagRow::as_select())
            .order((tags::name.asc(), tags::id.asc()))
            .limit(search.limit.unwrap_or(i64::MAX))
            .offset(search.offset)
            .load(self.conn())?;
        Ok((total, rows.into_iter().map(TagRecord::from).collect()))
    }

    /// Whether callers who are not sysadmins may see the tag (see the module docs).
    pub fn tag_is_public(&mut self, tag: &TagRecord) -> StorageResult<bool> {
        let public_uses: i64 = package_tags::table
            .inner_join(packages::table)
            .filter(package_tags::tag_id.eq(&tag.id))
            .filter(packages::state.eq("active"))
            .filter(packages::private.eq(false))
            .count()
            .get_result(self.conn())?;
        if public_uses > 0 {
            return Ok(true);
        }
        if tag.vocabulary_id.is_none() {
            return Ok(false);
        }
        let uses: i64 =
            package_tags::table.filter(package_tags::tag_id.eq(&tag.id)).count().get_result(self.conn())?;
        Ok(uses == 0)
    }

    pub fn tag_by_id(&mut self, id: &str) -> StorageResult<Option<TagRecord>> {
        let row = tags::table.find(id).select(TagRow::as_select()).first(self.conn()).optional()?;
        Ok(row.map(TagRecord::from))
    }

    /// Datasets (any state) carrying any of these tags.
    pub fn package_ids_with_any_tag(&mut self, tag_ids: &[String]) -> StorageResult<Vec<String>> {
        if tag_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids: Vec<String> = package_tags::table
            .filter(package_tags::tag_id.eq_any(tag_ids))
            .select(package_tags::package_id)
            .load(self.conn())?;
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Formats of active resources of active public datasets containing `text`
    /// (case-insensitively), lowercased, with how many resources use each; most used first.
    pub fn resource_format_counts(&mut self, text: &str) -> StorageResult<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = resources::table
            .inner_join(packages::table)
            .filter(packages::state.eq("active"))
            .filter(packages::private.eq(false))
            .filter(resources::state.eq("active"))
            .filter(resources::format.ne(""))
            .filter(lower(resources::format).like(contains_pattern(text)).escape('\\'))
            .group_by(resources::format)
            .select((resources::format, diesel::dsl::count_star()))
            .load(self.conn())?;
        // `CSV` and `csv` are one format.
        let mut merged: Vec<(String, i64)> = Vec::new();
        for (format, count) in rows {
            let format = format.to_lowercase();
            match merged.iter_mut().find(|(f, _)| *f == format) {
                Some((_, total)) => *total += count,
                None => merged.push((format, count)),
            }
        }
        merged.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(merged)
    }
}
