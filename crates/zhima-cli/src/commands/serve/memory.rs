//! Handing freed memory back to the OS (glibc): the performance issue asks for < 30 MiB RSS
//! idle, after start and after a load run.
//!
//! Measured on a release `zhima serve` (2 cores, `zhima bench`, 4 × 3,000 requests at
//! concurrency 64): idle after start ~21 MiB, of which ~19 MiB are the binary's own pages;
//! after the run 32–36 MiB and staying there. The difference is malloc: every blocking-pool
//! thread that ran a read got its own glibc arena (up to 8 per core), and what requests freed
//! stays resident inside those heaps (glibc returns only a free *top* of a heap to the OS).
//! Two remedies, no allocator change:
//! - arenas capped at one per core (`M_ARENA_MAX`; the per-thread caches still spare most
//!   allocations the arena lock), unless `MALLOC_ARENA_MAX` says otherwise;
//! - once the process has worked and then gone quiet (under 1 % of a core for a second),
//!   `malloc_trim(0)` once: it releases the free pages inside every heap. Trimming under load
//!   would only make the next requests fault the pages in again, so it waits for quiet.

use std::time::Duration;

/// How often the process's CPU time is looked at.
const PERIOD: Duration = Duration::from_secs(1);
/// CPU time per period below which the process counts as quiet (1 % of one core).
const QUIET: Duration = Duration::from_millis(10);
/// CPU time since the last trim that makes another one worth it (start-up included).
const WORKED: Duration = Duration::from_millis(100);

/// Caps the malloc arenas and starts the trimming thread (glibc only; elsewhere nothing).
pub fn start() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            // SAFETY: mallopt only sets a malloc tunable.
            unsafe { libc::mallopt(libc::M_ARENA_MAX, cores.max(2) as libc::c_int) };
        }
        let spawned = std::thread::Builder::new()
            .name("zhima-mem-trim".into())
            .spawn(trim_when_quiet);
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "memory trimming thread not started");
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_when_quiet() {
    let mut trimmer = Trimmer::default();
    let mut last = process_cpu_time();
    loop {
        std::thread::sleep(PERIOD);
        let now = process_cpu_time();
        if trimmer.period(now.saturating_sub(last)) {
            // SAFETY: malloc_trim only walks malloc's own heaps.
            unsafe { libc::malloc_trim(0) };
        }
        last = now;
    }
}

/// When to trim: a quiet period after at least [`WORKED`] of work since the last trim.
#[derive(Debug, Default)]
struct Trimmer {
    since_trim: Duration,
}

impl Trimmer {
    /// Accounts one period's CPU time; `true` when it is time to trim.
    fn period(&mut self, used: Duration) -> bool {
        self.since_trim += used;
        if used < QUIET && self.since_trim >= WORKED {
            self.since_trim = Duration::ZERO;
            true
        } else {
            false
        }
    }
}

/// User + system CPU time of the whole process so far.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn process_cpu_time() -> Duration {
    // SAFETY: getrusage fills one rusage we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn trims_once_when_quiet_after_work() {
        let mut t = Trimmer::default();
        // Start-up work, then quiet: one trim.
        assert!(!t.period(ms(300)));
        assert!(t.period(ms(2)));
        // Still quiet, nothing new to give back: no more trims.
        assert!(!t.period(ms(2)));
        assert!(!t.period(ms(0)));
        // Under load: never.
        for _ in 0..5 {
            assert!(!t.period(ms(900)));
        }
        // The load ends: one trim.
        assert!(t.period(ms(5)));
        assert!(!t.period(ms(5)));
    }

    #[test]
    fn light_steady_work_adds_up_before_a_trim() {
        let mut t = Trimmer::default();
        // 9 ms a second is quiet; 100 ms of it in all is worth a trim.
        let trims = (0..30).filter(|_| t.period(ms(9))).count();
        assert_eq!(trims, 2, "after 12 and 24 quiet periods");
    }
}
