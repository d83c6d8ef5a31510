//! The corpus replay shared by each crate's `tests/fuzz_corpus_replay.rs` (pulled in with
//! `#[path]`): every committed input of `targets` (`fuzz/corpus/<target>/`) runs through the
//! function its fuzz target calls, so CI replays the corpora without a fuzzing toolchain and
//! a crash the fuzzer once found stays fixed.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

/// A fuzz target's body: what `fuzz_target!` runs on one input.
pub type Target = fn(&[u8]);

/// Runs every corpus file of every `(name, target)`; panics naming the inputs that panic.
pub fn replay_corpora(targets: &[(&str, Target)]) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut panicked = Vec::new();
    for (name, target) in targets {
        let dir = root.join(name);
        let entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        assert!(!entries.is_empty(), "{}: empty corpus", dir.display());
        for path in entries {
            let data = std::fs::read(&path).unwrap();
            if catch_unwind(AssertUnwindSafe(|| target(&data))).is_err() {
                panicked.push(path.display().to_string());
            }
        }
    }
    assert!(panicked.is_empty(), "these inputs panic: {panicked:#?}");
}
