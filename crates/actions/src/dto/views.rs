//! Resource view shapes.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A resource view: its columns, then its configuration keys as they were sent, then the
/// dataset's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewDict {
    pub id: String,
    /// The resource it shows.
    pub resource_id: String,
    pub title: String,
    pub description: Option<String>,
    /// The type of view (any name; datahavn renders none itself).
    #[schema(example = "datatables_view")]
    pub view_type: String,
    /// The view's configuration keys (any other key), as sent.
    #[serde(flatten)]
    pub config: Map<String, Value>,
    /// The dataset of the resource.
    pub package_id: String,
}

/// `resource_view_delete`: the resource the deleted view belonged to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewDeleteResult {
    pub resource_id: String,
}

/// `resource_view_reorder`: the resource and every view id in its new order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewReorderResult {
    /// The resource's id.
    pub id: String,
    /// Every view of the resource, in its new order.
    pub order: Vec<String>,
}
