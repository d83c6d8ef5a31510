#![no_main]

#[path = "../../crates/zhima-proto/tests/fuzz_targets/mod.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::models(data));
