//! A small pool of read-only connections. Queries run on tokio's blocking pool, each on its
//! own connection, so they never wait behind the writer (WAL readers see the last commit).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::schema::open_reader;
use crate::error::{Error, Result};

/// Idle read connections, opened on demand and kept up to a bound.
pub(crate) struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    max_idle: usize,
}

impl ReadPool {
    pub(crate) fn new(path: PathBuf, max_idle: usize) -> Arc<ReadPool> {
        Arc::new(ReadPool {
            path,
            idle: Mutex::new(Vec::new()),
            max_idle,
        })
    }

    /// Runs `f` on a read connection inside one read transaction (a consistent snapshot
    /// across the statements `f` issues).
    pub(crate) async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let conn = pool.take()?;
            let out = {
                let tx = conn.unchecked_transaction()?;
                let out = f(&tx);
                tx.finish()?;
                out
            };
            pool.give_back(conn);
            out
        })
        .await
        .map_err(|e| Error::internal(format!("read task failed: {e}")))?
    }

    fn take(&self) -> Result<Connection> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(conn) => Ok(conn),
            None => open_reader(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }
}
