//! The template loader on JSON: CloudFormation templates and
//! `get-template` output (which may hold a JSON or YAML template string).
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::run("fuzz/eksctl-demo-cluster.json", data));
