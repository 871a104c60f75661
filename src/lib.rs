//! eksguard: catches EKS deploy-time failures in eksctl-generated
//! CloudFormation before they reach AWS.
//!
//! The data flows one way, one module per stage:
//!
//! ```text
//! discover -> load -> facts -> correlate -> rules -> report
//! ```
//!
//! with the shared vocabulary ([`finding`]: locations, findings, input
//! errors) at the bottom. [`scan`] (in [`driver`]) calls the stages in
//! order. Loading and fact extraction run in parallel, one input at a time
//! per thread, and keep only facts; the later stages see every input at
//! once. [`suppress`] and [`baseline`] take findings out after the rules
//! ran.

pub mod baseline;
pub mod cdk;
pub mod config;
pub mod correlate;
pub mod discover;
pub mod driver;
pub mod eksctl;
pub mod evaluate;
pub mod facts;
pub mod finding;
pub mod load;
pub mod report;
pub mod rules;
pub mod suppress;
pub mod usage;

pub use driver::{NoProgress, Progress, ScanConfig, ScanError, scan, scan_with};
