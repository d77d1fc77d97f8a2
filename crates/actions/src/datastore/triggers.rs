//! `datastore_run_triggers`: CKAN re-applies a table's triggers by updating every row. datahavn
//! creates no triggers (see `datastore_function_create`), so nothing changes; the answer is the
//! table's row count, as CKAN's.

use serde_json::json;

use super::{failure, service};
use crate::args::sysadmin_only;
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError};

pub const DATASTORE_RUN_TRIGGERS: Action = Action {
    name: "datastore_run_triggers",
    side_effect_free: false,
    tag: "datastore",
    doc: "Re-apply the triggers of a DataStore table to its rows (sysadmins only).\n\n\
          datahavn's tables have no triggers: the rows stay as they are.\n\n\
          :returns: the number of rows in the table\n:rtype: int",
    request: request_doc::<DatastoreRunTriggersRequest>,
    response: response_doc::<u64>,
    errors: &[
        (403, "Anonymous, or not a sysadmin"),
        (409, "`resource_id` missing, or no DataStore table for it (`records`)"),
    ],
    run: |ctx, params| {
        let request = DatastoreRunTriggersRequest::parse(params)?;
        sysadmin_only(ctx, "datastore_run_triggers", None)?;
        let info = service(ctx)?.tables.info(&request.resource_id).map_err(failure)?;
        match info {
            Some(info) => Ok(json!(info.count)),
            // CKAN's UPDATE fails on the missing table with PostgreSQL's message.
            None => Err(ActionError::field(
                "records",
                format!("relation \"{}\" does not exist", request.resource_id),
            )),
        }
    },
};

request! {
    /// The table whose triggers to run.
    pub struct DatastoreRunTriggersRequest {
        /// The id of the resource whose DataStore table it is.
        pub resource_id: String,
    }
}
