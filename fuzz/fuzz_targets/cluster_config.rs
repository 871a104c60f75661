//! The ClusterConfig loader: every input is read after a ClusterConfig
//! header, so the fuzzer spends its time inside eksctl config documents.
#![no_main]

mod common;

const HEADER: &[u8] = b"apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\n";

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut bytes = HEADER.to_vec();
    bytes.extend_from_slice(data);
    common::run("fuzz/cluster.yaml", &bytes);
    // And on its own, for inputs that carry their own header (JSON too).
    common::run("fuzz/cluster.yaml", data);
});
