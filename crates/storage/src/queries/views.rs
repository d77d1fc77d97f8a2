//! Resource views: one row per view, its dict kept as a JSON document.

use datahavn_domain::catalog::ResourceView;
use diesel::prelude::*;
use serde_json::Value;

use crate::schema::resource_views;
use crate::{StorageError, StorageResult, Tx};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = resource_views)]
struct ViewRow {
    id: String,
    resource_id: String,
    position: i32,
    document: String,
}

impl From<&ResourceView> for ViewRow {
    fn from(view: &ResourceView) -> Self {
        Self {
            id: view.id.clone(),
            resource_id: view.resource_id.clone(),
            position: view.position,
            document: Value::Object(view.document.clone()).to_string(),
        }
    }
}

impl TryFrom<ViewRow> for ResourceView {
    type Error = StorageError;

    fn try_from(row: ViewRow) -> StorageResult<Self> {
        let document = match serde_json::from_str(&row.document) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(StorageError::Internal(format!("resource view {}: not an object", row.id))),
            Err(e) => return Err(StorageError::Internal(format!("resource view {}: {e}", row.id))),
        };
        Ok(Self { id: row.id, resource_id: row.resource_id, position: row.position, document })
    }
}

impl Tx<'_> {
    pub fn insert_resource_view(&mut self, view: &ResourceView) -> StorageResult<()> {
        diesel::insert_into(resource_views::table).values(ViewRow::from(view)).execute(self.conn())?;
        Ok(())
    }

    pub fn update_resource_view(&mut self, view: &ResourceView) -> StorageResult<()> {
        let changed = diesel::update(resource_views::table.find(&view.id))
            .set(ViewRow::from(view))
            .execute(self.conn())?;
        if changed == 0 { Err(StorageError::NotFound) } else { Ok(()) }
    }

    pub fn resource_view_by_id(&mut self, id: &str) -> StorageResult<Option<ResourceView>> {
        let row =
            resource_views::table.find(id).select(ViewRow::as_select()).first(self.conn()).optional()?;
        row.map(ResourceView::try_from).transpose()
    }

    /// The views of a resource, in their order.
    pub fn resource_views_of(&mut self, resource_id: &str) -> StorageResult<Vec<ResourceView>> {
        let rows = resource_views::table
            .filter(resource_views::resource_id.eq(resource_id))
            .order((resource_views::position.asc(), resource_views::id.asc()))
            .select(ViewRow::as_select())
            .load(self.conn())?;
        rows.into_iter().map(ResourceView::try_from).collect()
    }

    /// The position after the resource's last view (0 for its first).
    pub fn next_resource_view_position(&mut self, resource_id: &str) -> StorageResult<i32> {
        let last: Option<i32> = resource_views::table
            .filter(resource_views::resource_id.eq(resource_id))
            .select(diesel::dsl::max(resource_views::position))
            .first(self.conn())?;
        Ok(last.map_or(0, |p| p.saturating_add(1)))
    }

    pub fn set_resource_view_position(&mut self, id: &str, position: i32) -> StorageResult<()> {
        diesel::update(resource_views::table.find(id))
            .set(resource_views::position.eq(position))
            .execute(self.conn())?;
        Ok(())
    }

    pub fn delete_resource_view(&mut self, id: &str) -> StorageResult<bool> {
        let n = diesel::delete(resource_views::table.find(id)).execute(self.conn())?;
        Ok(n > 0)
    }

    /// Every view of the site (`resource_view_clear` picks by type).
    pub fn all_resource_views(&mut self) -> StorageResult<Vec<ResourceView>> {
        let rows = resource_views::table
            .order((resource_views::resource_id.asc(), resource_views::position.asc()))
            .select(ViewRow::as_select())
            .load(self.conn())?;
        rows.into_iter().map(ResourceView::try_from).collect()
    }

    /// Removes views by id; returns how many went.
    pub fn delete_resource_views(&mut self, ids: &[String]) -> StorageResult<usize> {
        if ids.is_empty() {
            return Ok(0);
        }
        Ok(diesel::delete(resource_views::table.filter(resource_views::id.eq_any(ids)))
            .execute(self.conn())?)
    }
}
