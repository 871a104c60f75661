//! The YAML fast path against saphyr-parser: on any text, it gives up or
//! gives exactly saphyr's events and positions (and never accepts what
//! saphyr rejects).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = eksguard::load::yaml_fast::check_against_saphyr(text) {
            panic!("{e}");
        }
    }
});
