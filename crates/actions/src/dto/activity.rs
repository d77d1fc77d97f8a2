//! Activity stream shapes besides the activity dict itself ([`super::ActivityDict`]).

use serde::Serialize;
use utoipa::ToSchema;

use super::ActivityDict;

/// `activity_diff`: the change an activity made.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityDiffResult {
    /// The lines of Python's `difflib` (`unified_diff` or `context_diff`) for the two objects
    /// printed as sorted, indented JSON.
    pub diff: String,
    /// The previous activity of the same object and this one, older first.
    pub activities: Vec<ActivityDict>,
}

/// An activity of `dashboard_activity_list`: the activity dict and whether it is new.
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardActivityDict {
    #[serde(flatten)]
    pub activity: ActivityDict,
    /// Whether it happened since the user last marked their dashboard seen; the user's own
    /// activities never are.
    pub is_new: bool,
}
