//! Rule selection from the command line and `eksguard.toml`.
//!
//! Takes the `--select`, `--ignore`, `--severity` and `--guard-rules`
//! values and the text of a config file; gives validated
//! [`RuleSettings`] and the Guard rule paths. Unknown rule ids are errors
//! (usage errors for the CLI). The file is read by the caller: this module
//! does not touch the disk.
//!
//! ```toml
//! select = ["EKS001", "EKS003"]     # only these (all when absent)
//! ignore = ["EKS002"]
//! guard-rules = ["policies/"]       # like --guard-rules, relative to the file
//!
//! [severity]
//! EKS002 = "error"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::finding::Severity;
use crate::rules::{self, RuleSettings};

/// The name looked for in the working directory.
pub const CONFIG_FILE: &str = "eksguard.toml";

/// The contents of `eksguard.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    #[serde(default)]
    pub guard_rules: Vec<String>,
}

impl ConfigFile {
    /// Parses `text`, read from `path` (named in errors).
    pub fn parse(path: &str, text: &str) -> Result<Self, String> {
        let mut file: Self = toml::from_str(text).map_err(|e| format!("{path}: {}", e.to_string().trim_end()))?;
        // Guard rule paths are relative to the file, as users expect.
        let base = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(base) = base {
            for p in &mut file.guard_rules {
                if Path::new(p.as_str()).is_relative() {
                    *p = base.join(&*p).to_string_lossy().into_owned();
                }
            }
        }
        Ok(file)
    }
}

/// Selection given on the command line.
#[derive(Debug, Default, Clone)]
pub struct RuleArgs {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: Vec<(String, String)>,
}

/// Merges the file (if any) and the command line: `--select` replaces the
/// file's `select`, `--ignore` adds to its `ignore`, `--severity` wins per
/// rule. Every id must name a built-in rule (id or slug).
pub fn settings(file: Option<&ConfigFile>, args: &RuleArgs) -> Result<RuleSettings, String> {
    let mut settings = RuleSettings::default();
    if let Some(f) = file {
        settings.select.clone_from(&f.select);
        settings.ignore.clone_from(&f.ignore);
        for (id, level) in &f.severity {
            settings.severity.insert(id.clone(), parse_level(id, level)?);
        }
    }
    if !args.select.is_empty() {
        settings.select.clone_from(&args.select);
    }
    settings.ignore.extend(args.ignore.iter().cloned());
    for (id, level) in &args.severity {
        settings.severity.insert(id.clone(), parse_level(id, level)?);
    }
    let ids = settings.select.iter().chain(&settings.ignore).chain(settings.severity.keys());
    for id in ids {
        if rules::find(id).is_none() {
            return Err(format!("unknown rule `{id}` (see `eksguard rules`)"));
        }
    }
    Ok(settings)
}

fn parse_level(id: &str, level: &str) -> Result<Severity, String> {
    level.parse().map_err(|e| format!("severity of `{id}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_flags_merge() {
        let file = ConfigFile::parse(
            "conf/eksguard.toml",
            "select = [\"EKS001\", \"EKS002\"]\nignore = [\"EKS009\"]\nguard-rules = [\"g\"]\n[severity]\nEKS002 = \"error\"\n",
        )
        .expect("parse");
        assert_eq!(file.guard_rules, vec![Path::new("conf").join("g").to_string_lossy().into_owned()]);
        let args = RuleArgs {
            select: vec![],
            ignore: vec!["access-entry-cluster-unresolved".into()],
            severity: vec![("EKS001".into(), "warning".into())],
        };
        let s = settings(Some(&file), &args).expect("settings");
        assert_eq!(s.select, vec!["EKS001", "EKS002"]);
        assert_eq!(s.ignore.len(), 2);
        assert_eq!(s.severity["EKS001"], Severity::Warning);
        assert_eq!(s.severity["EKS002"], Severity::Error);
    }

    #[test]
    fn unknown_ids_and_keys_are_errors() {
        let args = RuleArgs { select: vec!["EKS999".into()], ..RuleArgs::default() };
        assert!(settings(None, &args).expect_err("unknown").contains("EKS999"));
        assert!(ConfigFile::parse("eksguard.toml", "selct = []\n").is_err());
        let args = RuleArgs { severity: vec![("EKS001".into(), "fatal".into())], ..RuleArgs::default() };
        assert!(settings(None, &args).is_err());
    }
}
