#![no_main]

#[path = "../../crates/zhima-server/tests/fuzz_targets/mod.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::sign_apply_page(data));
