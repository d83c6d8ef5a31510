//! Writes nobody waits for (audit entries), handed to an engine's group-commit writer without a
//! channel message: the writer takes them into the next batch it runs. Sending them as jobs of
//! their own raced with the business write that followed them, and an idle writer woke up for
//! the first message alone — a commit (an fsync) for a few audit rows.

use std::sync::Mutex;

/// Jobs waiting for the next batch, in the order they were queued.
pub(crate) struct LaterJobs<J> {
    jobs: Mutex<Vec<J>>,
}

impl<J> Default for LaterJobs<J> {
    fn default() -> Self {
        LaterJobs {
            jobs: Mutex::new(Vec::new()),
        }
    }
}

impl<J> LaterJobs<J> {
    /// Queues `job` for the next batch.
    pub(crate) fn push(&self, job: J) {
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(job);
    }

    /// Takes every waiting job (the writer, once it holds a batch).
    pub(crate) fn take(&self) -> Vec<J> {
        std::mem::take(&mut *self.jobs.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
