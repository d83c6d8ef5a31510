//! Replays every committed fuzz corpus input of zhima-proto's targets (`fuzz/corpus/<target>/`) through
//! the functions the fuzz targets call (`fuzz/replay/mod.rs`): a plain test, so CI needs no
//! fuzzing toolchain. A crash the fuzzer once found stays fixed.

mod fuzz_targets;
#[path = "../../../fuzz/replay/mod.rs"]
mod replay;

#[test]
fn committed_fuzz_corpora_replay_without_panics() {
    replay::replay_corpora(fuzz_targets::TARGETS);
}
