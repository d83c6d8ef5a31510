//! Replays every committed fuzz corpus input of zhima-proto's targets (`fuzz/corpus/<target>/`) through
//! the functions the fuzz targets call: a plain test, so CI needs no fuzzing toolchain. A
//! crash the fuzzer once found stays fixed.

mod fuzz_targets;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

#[test]
fn committed_fuzz_corpora_replay_without_panics() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut panicked = Vec::new();
    for (name, target) in fuzz_targets::TARGETS {
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
