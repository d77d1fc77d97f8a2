//! Documented parameters of the resource view actions (OpenAPI only; the actions read the dict).
#![allow(dead_code)]

use utoipa::{IntoParams, ToSchema};

/// A view dict for create and update; any other key is the view's configuration.
#[derive(ToSchema)]
pub struct ViewInput {
    /// The view's id (update, delete); a UUID of your choice on create (sysadmins).
    pub id: Option<String>,
    /// The resource's id (create).
    pub resource_id: Option<String>,
    /// Required on create.
    pub title: Option<String>,
    pub description: Option<String>,
    /// Required on create; cannot change.
    pub view_type: Option<String>,
}

/// A view as the view actions return it, plus its configuration keys.
#[derive(ToSchema)]
pub struct ViewDict {
    pub id: String,
    pub resource_id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub view_type: String,
    pub package_id: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ViewIdParams {
    /// The view's id.
    pub id: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResourceIdParams {
    /// The resource's id.
    pub id: String,
}

#[derive(ToSchema)]
pub struct ViewReorderParams {
    /// The resource's id.
    pub id: String,
    /// View ids that go first.
    pub order: Vec<String>,
}

/// The resource and every view id in its new order.
#[derive(ToSchema)]
pub struct ViewReorderResult {
    pub id: String,
    pub order: Vec<String>,
}

/// The resource the deleted view belonged to.
#[derive(ToSchema)]
pub struct ViewDeleteResult {
    pub resource_id: String,
}

#[derive(ToSchema)]
pub struct ViewClearParams {
    /// Only views of these types (default: every view).
    pub view_types: Option<Vec<String>>,
}
