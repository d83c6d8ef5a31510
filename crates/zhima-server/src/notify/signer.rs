//! Signing notifications off the request threads. An RSA2 signature is most of a delivery's
//! CPU cost, so it runs on a few threads of the lowest CPU priority (Linux `SCHED_IDLE`):
//! while requests keep every core busy they win and deliveries wait (the outbox keeps them);
//! otherwise these threads sign at full speed.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

type Job = Box<dyn FnOnce() + Send>;

/// A pool of low-priority threads; they stop when the pool is dropped.
pub(crate) struct Signer {
    jobs: mpsc::Sender<Job>,
}

impl Signer {
    /// Starts `threads` (at least one) signing threads.
    pub(crate) fn start(threads: usize) -> Result<Signer> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("zhima-notify-sign-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        let Ok(job) = job else { return };
                        // A panicking job drops its answer channel (its caller sees an
                        // error); the thread keeps serving.
                        let _ = catch_unwind(AssertUnwindSafe(job));
                    }
                })
                .map_err(|e| Error::internal(format!("cannot start a signing thread: {e}")))?;
        }
        Ok(Signer { jobs })
    }

    /// Runs `f` on a signing thread; its value.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| Error::internal("the signing threads stopped"))?;
        rx.await
            .map_err(|_| Error::internal("a signing job failed"))
    }
}

/// Puts the calling thread at the lowest CPU priority: `SCHED_IDLE` (it runs only when no
/// other thread wants the core, even one at nice 19), else nice 19.
#[cfg(target_os = "linux")]
fn lower_priority() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: plain system calls on the calling thread (pid/who 0) with a valid parameter.
    let idle = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } == 0;
    if !idle {
        // SAFETY: as above; on Linux `PRIO_PROCESS` with 0 is the calling thread.
        let niced = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) } == 0;
        tracing::debug!(niced, "SCHED_IDLE refused for the notification signer");
    }
}

/// Elsewhere the signing threads keep the default priority.
#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_idle_priority_threads_and_survive_a_panic() {
        let signer = Signer::start(1).unwrap();
        assert!(signer.run(|| -> () { panic!("boom") }).await.is_err());
        let (name, policy) = signer
            .run(|| {
                let name = std::thread::current().name().map(str::to_owned);
                // SAFETY: reads the calling thread's policy.
                #[cfg(target_os = "linux")]
                let policy = unsafe { libc::sched_getscheduler(0) };
                #[cfg(not(target_os = "linux"))]
                let policy = 0;
                (name, policy)
            })
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("zhima-notify-sign-0"));
        #[cfg(target_os = "linux")]
        assert_eq!(policy, libc::SCHED_IDLE);
        let _ = policy;
    }
}
