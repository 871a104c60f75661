//! The describe-cluster loader: every input is read as the `cluster`
//! object of `aws eks describe-cluster` output, and on its own.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut bytes = b"{\"cluster\": ".to_vec();
    bytes.extend_from_slice(data);
    bytes.push(b'}');
    common::run("fuzz/describe-cluster.json", &bytes);
    common::run("fuzz/describe-cluster.json", data);
});
