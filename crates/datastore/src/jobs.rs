//! What is known of each resource's last load, kept beside the tables so that it outlives the
//! process that ran the load (and is seen by every server on one PostgreSQL).

use crate::Datastore;
use crate::db::JOBS;
use crate::dialect::Params;
use crate::error::DatastoreResult;
use crate::guard::Dialect;

fn jobs_table(d: Dialect) -> String {
    match d {
        Dialect::Postgres => format!("datastore.{JOBS}"),
        Dialect::Sqlite => JOBS.to_owned(),
    }
}

impl Datastore {
    /// Stores the status of the resource's load: `state` (`pending`, `running`, `complete`,
    /// `error`) and the whole status as the caller shapes it (JSON text).
    pub fn save_load_status(&self, resource_id: &str, state: &str, status: &str) -> DatastoreResult<()> {
        let d = self.dialect();
        self.with_conn(|c| {
            let mut p = Params::new(d);
            let rid = p.push_text(resource_id);
            let state = p.push_text(state);
            let status = p.push_text(status);
            let sql = format!(
                "INSERT INTO {} (resource_id, state, status) VALUES ({rid}, {state}, {status}) \
                 ON CONFLICT (resource_id) DO UPDATE SET state = excluded.state, status = excluded.status",
                jobs_table(d)
            );
            c.exec(&sql, &p)?;
            Ok(())
        })
    }

    /// The stored status of the resource's last load.
    pub fn load_status(&self, resource_id: &str) -> DatastoreResult<Option<String>> {
        let d = self.dialect();
        self.with_conn(|c| {
            let mut p = Params::new(d);
            let rid = p.push_text(resource_id);
            let rows =
                c.rows(&format!("SELECT status FROM {} WHERE resource_id = {rid}", jobs_table(d)), &p)?;
            Ok(rows.into_iter().next().and_then(|r| r.into_iter().next().flatten()))
        })
    }

    /// The loads stored as `pending` or `running`: (resource id, status).
    pub fn unfinished_loads(&self) -> DatastoreResult<Vec<(String, String)>> {
        let d = self.dialect();
        self.with_conn(|c| {
            let sql = format!(
                "SELECT resource_id, status FROM {} WHERE state IN ('pending', 'running')",
                jobs_table(d)
            );
            let rows = c.rows(&sql, &Params::new(d))?;
            Ok(rows
                .into_iter()
                .filter_map(|r| {
                    let mut cells = r.into_iter();
                    Some((cells.next().flatten()?, cells.next().flatten()?))
                })
                .collect())
        })
    }

    /// Forgets the resource's load (its resource is gone).
    pub(crate) fn forget_load(c: &mut dyn crate::exec::Exec, resource_id: &str) -> DatastoreResult<()> {
        let d = c.dialect();
        let mut p = Params::new(d);
        let rid = p.push_text(resource_id);
        c.exec(&format!("DELETE FROM {} WHERE resource_id = {rid}", jobs_table(d)), &p)?;
        Ok(())
    }
}
