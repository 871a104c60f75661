//! The template loader on YAML, CloudFormation short-form tags included.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::run("fuzz/eksctl-demo-cluster.yaml", data));
