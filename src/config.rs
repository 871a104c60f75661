//! Settings from the command line and a config file, merged.
//!
//! Takes the text of a config file (`eksguard.toml`, or the
//! `[tool.eksguard]` table of a `pyproject.toml`) and the rule flags; gives
//! a validated [`ConfigFile`] (paths in it made relative to the working
//! directory, as they are written relative to the file) and
//! [`RuleSettings`]. Unknown keys and unknown rule ids are errors naming
//! the file. Finding and reading the file is
//! [`crate::load::settings_files`]'s job: this module does not touch the
//! disk.
//!
//! ```toml
//! select = ["EKS001", "EKS003"]     # only these (all when absent)
//! ignore = ["EKS002"]
//! guard-rules = ["policies/"]       # like --guard-rules, relative to the file
//! exclude = ["node_modules"]        # gitignore patterns, relative to the file
//! extend-exclude = ["build/"]
//! fail-on = "warning"
//! report-unused-suppressions = true # like --report-unused-suppressions
//!
//! [severity]
//! EKS002 = "error"
//!
//! [parameters]
//! AuthenticationMode = "API"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::finding::Severity;
use crate::rules::{self, RuleSettings};

/// The name looked for in the working directory and its parents.
pub const CONFIG_FILE: &str = "eksguard.toml";

/// The other file read, for its `[tool.eksguard]` table.
pub const PYPROJECT_FILE: &str = "pyproject.toml";

/// The default of `exclude`: what a walk never wants to read.
pub const DEFAULT_EXCLUDE: &[&str] = &["node_modules"];

/// Every key a config file may set.
pub const KEYS: &[&str] = &[
    "baseline",
    "context",
    "eksctl-version",
    "exclude",
    "extend-exclude",
    "fail-on",
    "follow-links",
    "force-exclude",
    "format",
    "guard-rules",
    "ignore",
    "max-archive-entries",
    "max-archive-size",
    "max-entry-size",
    "max-file-size",
    "parameters",
    "report-unused-suppressions",
    "respect-ignore-files",
    "select",
    "severity",
];

/// The contents of a config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// The file, as found (relative to the working directory when it was
    /// found by walking up).
    #[serde(skip)]
    pub path: PathBuf,
    /// The directory of the file: base of relative paths and patterns.
    #[serde(skip)]
    pub dir: PathBuf,
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    #[serde(default)]
    pub guard_rules: Vec<String>,
    pub exclude: Option<Vec<String>>,
    #[serde(default)]
    pub extend_exclude: Vec<String>,
    pub respect_ignore_files: Option<bool>,
    pub report_unused_suppressions: Option<bool>,
    pub force_exclude: Option<bool>,
    pub follow_links: Option<bool>,
    pub fail_on: Option<String>,
    pub format: Option<String>,
    pub eksctl_version: Option<String>,
    #[serde(default)]
    pub parameters: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub context: Vec<String>,
    pub baseline: Option<String>,
    pub max_file_size: Option<u64>,
    pub max_archive_entries: Option<usize>,
    pub max_entry_size: Option<u64>,
    pub max_archive_size: Option<u64>,
}

/// What is wrong with the settings: the config module's error type. Its
/// text is the one-line message users see, naming the file when there is
/// one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file is not TOML, or a key's value has the wrong type.
    #[error("{}: {message}", file.display())]
    Invalid { file: PathBuf, message: String },
    /// A `pyproject.toml` whose `tool.eksguard` is not a table.
    #[error("{}: [tool.eksguard] is not a table", file.display())]
    NotATable { file: PathBuf },
    /// A key no config file may set, with the likely one.
    #[error(
        "{}: {}unknown key `{key}`{}",
        file.display(),
        if *pyproject { "[tool.eksguard] " } else { "" },
        hint.as_ref().map(|k| format!(" (did you mean `{k}`?)")).unwrap_or_default()
    )]
    UnknownKey { file: PathBuf, pyproject: bool, key: String, hint: Option<String> },
    /// A rule id or name that is neither built in nor a Guard rule's, in
    /// the file when `file` says so.
    #[error("{}unknown rule `{id}` (see `eksguard rules`)", file.as_ref().map(|f| format!("{}: ", f.display())).unwrap_or_default())]
    UnknownRule { file: Option<PathBuf>, id: String },
    /// A severity that is not `error`, `warning` or `note`.
    #[error("severity of `{id}`: {message}")]
    Severity { id: String, message: String },
}

/// The command line reports every error as its one-line text.
impl From<ConfigError> for String {
    fn from(e: ConfigError) -> Self {
        e.to_string()
    }
}

impl ConfigFile {
    /// Parses `text`, read from `path` (named in errors). A `pyproject.toml`
    /// gives its `[tool.eksguard]` table, `None` when it has none.
    pub fn parse(path: &Path, text: &str) -> Result<Option<Self>, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid { file: path.to_path_buf(), message };
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| invalid(one_line(&e)))?;
        let pyproject = path.file_name().is_some_and(|n| n == PYPROJECT_FILE);
        if pyproject {
            let tool = table.remove("tool").and_then(|t| match t {
                toml::Value::Table(mut t) => t.remove("eksguard"),
                _ => None,
            });
            match tool {
                Some(toml::Value::Table(t)) => table = t,
                Some(_) => return Err(ConfigError::NotATable { file: path.to_path_buf() }),
                None => return Ok(None),
            }
        }
        for key in table.keys() {
            if !KEYS.contains(&key.as_str()) {
                let hint = did_you_mean(key, KEYS).map(str::to_owned);
                return Err(ConfigError::UnknownKey { file: path.to_path_buf(), pyproject, key: key.clone(), hint });
            }
        }
        let mut file = Self::deserialize(toml::Value::Table(table)).map_err(|e| invalid(one_line(&e)))?;
        for (name, value) in &file.parameters {
            if !matches!(value, toml::Value::String(_) | toml::Value::Integer(_) | toml::Value::Boolean(_)) {
                return Err(invalid(format!("parameter `{name}` must be a string, a number or a boolean")));
            }
        }
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        for p in file.guard_rules.iter_mut().chain(&mut file.context).chain(&mut file.baseline) {
            *p = relative_to(&dir, p);
        }
        file.path = path.to_path_buf();
        file.dir = dir;
        Ok(Some(file))
    }

    /// The `parameters` table as text values.
    pub fn parameter_values(&self) -> BTreeMap<String, String> {
        self.parameters
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect()
    }
}

/// `path`, written relative to `dir`, as seen from the working directory.
fn relative_to(dir: &Path, path: &str) -> String {
    if dir.as_os_str().is_empty() || Path::new(path).is_absolute() {
        path.to_owned()
    } else {
        dir.join(path).to_string_lossy().into_owned()
    }
}

fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The known name closest to `key`, when it is close enough to be a typo.
pub fn did_you_mean<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known.iter().map(|k| (distance(key, k), *k)).filter(|(d, k)| *d <= 2.max(k.len() / 4)).min().map(|(_, k)| k)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (here + 1).min(row[j] + 1).min(previous + usize::from(ca != *cb));
            previous = here;
        }
    }
    row[b.len()]
}

/// Selection given on the command line.
#[derive(Debug, Default, Clone)]
pub struct RuleArgs {
    /// `--report-unused-suppressions`: run EKS016.
    pub report_unused_suppressions: bool,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: Vec<(String, String)>,
}

/// Merges the file (if any) and the command line: `--select` replaces the
/// file's `select`, `--ignore` adds to its `ignore`, `--severity` wins per
/// rule. Every id must name a built-in rule (id or slug) or one of
/// `extra` (the Guard rules' names).
pub fn settings(file: Option<&ConfigFile>, args: &RuleArgs, extra: &[&str]) -> Result<RuleSettings, ConfigError> {
    let mut settings = RuleSettings::default();
    let known = |id: &str| rules::find(id).is_some() || extra.contains(&id);
    if let Some(f) = file {
        settings.select.clone_from(&f.select);
        settings.ignore.clone_from(&f.ignore);
        settings.unused_suppressions = f.report_unused_suppressions.unwrap_or(false);
        for (id, level) in &f.severity {
            settings.severity.insert(id.clone(), parse_level(id, level)?);
        }
        let ids = f.select.iter().chain(&f.ignore).chain(f.severity.keys());
        for id in ids {
            if !known(id) {
                return Err(ConfigError::UnknownRule { file: Some(f.path.clone()), id: id.clone() });
            }
        }
    }
    if !args.select.is_empty() {
        settings.select.clone_from(&args.select);
    }
    settings.ignore.extend(args.ignore.iter().cloned());
    settings.unused_suppressions |= args.report_unused_suppressions;
    for (id, level) in &args.severity {
        settings.severity.insert(id.clone(), parse_level(id, level)?);
    }
    let ids = settings.select.iter().chain(&settings.ignore).chain(settings.severity.keys());
    for id in ids {
        if !known(id) {
            return Err(ConfigError::UnknownRule { file: None, id: id.clone() });
        }
    }
    Ok(settings)
}

fn parse_level(id: &str, level: &str) -> Result<Severity, ConfigError> {
    level.parse().map_err(|message| ConfigError::Severity { id: id.to_owned(), message })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(path: &str, text: &str) -> Result<ConfigFile, ConfigError> {
        ConfigFile::parse(Path::new(path), text).map(|f| f.expect("a config"))
    }

    #[test]
    fn file_and_flags_merge() {
        let file = parse(
            "conf/eksguard.toml",
            "select = [\"EKS001\", \"EKS002\"]\nignore = [\"EKS009\"]\nguard-rules = [\"g\"]\n[severity]\nEKS002 = \"error\"\n",
        )
        .expect("parse");
        assert_eq!(file.guard_rules, vec![Path::new("conf").join("g").to_string_lossy().into_owned()]);
        let args = RuleArgs {
            select: vec![],
            ignore: vec!["access-entry-cluster-unresolved".into()],
            severity: vec![("EKS001".into(), "warning".into())],
            ..RuleArgs::default()
        };
        let s = settings(Some(&file), &args, &[]).expect("settings");
        assert_eq!(s.select, vec!["EKS001", "EKS002"]);
        assert_eq!(s.ignore.len(), 2);
        assert_eq!(s.severity["EKS001"], Severity::Warning);
        assert_eq!(s.severity["EKS002"], Severity::Error);
    }

    #[test]
    fn unknown_ids_and_keys_are_errors() {
        let args = RuleArgs { select: vec!["EKS999".into()], ..RuleArgs::default() };
        let e = settings(None, &args, &[]).expect_err("unknown");
        assert_eq!(e, ConfigError::UnknownRule { file: None, id: "EKS999".into() });
        assert!(settings(None, &args, &["EKS999"]).is_ok());
        let e = parse("x/eksguard.toml", "exclud = []\n").expect_err("unknown key");
        assert!(matches!(&e, ConfigError::UnknownKey { key, hint: Some(h), .. } if key == "exclud" && h == "exclude"));
        assert_eq!(e.to_string(), "x/eksguard.toml: unknown key `exclud` (did you mean `exclude`?)");
        let e = parse("pyproject.toml", "[tool.eksguard]\nwhatever = 1\n").expect_err("unknown key");
        assert_eq!(e.to_string(), "pyproject.toml: [tool.eksguard] unknown key `whatever`");
        let args = RuleArgs { severity: vec![("EKS001".into(), "fatal".into())], ..RuleArgs::default() };
        assert!(settings(None, &args, &[]).is_err());
        let e = parse("eksguard.toml", "max-file-size = \"big\"\n").expect_err("type");
        assert!(matches!(&e, ConfigError::Invalid { file, .. } if file == Path::new("eksguard.toml")), "{e}");
    }

    #[test]
    fn every_key_parses_and_paths_follow_the_file() {
        let text = "baseline = \"b.json\"\ncontext = [\"live/c.json\"]\neksctl-version = \"0.170.0\"\n\
                    exclude = [\"a\"]\nextend-exclude = [\"b\"]\nfail-on = \"warning\"\nfollow-links = true\n\
                    force-exclude = true\nformat = \"json\"\nguard-rules = [\"/abs.guard\"]\nignore = []\n\
                    max-archive-entries = 1\nmax-archive-size = 2\nmax-entry-size = 3\nmax-file-size = 4\n\
                    report-unused-suppressions = true\nrespect-ignore-files = false\nselect = []\n[parameters]\nMode = \"API\"\nCount = 2\n[severity]\n";
        let f = parse("../eksguard.toml", text).expect("parse");
        assert_eq!(f.baseline.as_deref(), Some("../b.json"));
        assert_eq!(f.context, ["../live/c.json"]);
        assert_eq!(f.guard_rules, ["/abs.guard"]);
        assert_eq!(f.parameter_values()["Count"], "2");
        assert_eq!(f.dir, Path::new(".."));
        assert_eq!(f.report_unused_suppressions, Some(true));
        // Every key in KEYS is a field: the test text above sets them all.
        let table: toml::Table = text.parse().expect("toml");
        let mut keys: Vec<&str> = table.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, KEYS);
    }

    #[test]
    fn pyproject_without_our_table_is_no_config() {
        assert!(ConfigFile::parse(Path::new("pyproject.toml"), "[tool.ruff]\nx = 1\n").expect("parse").is_none());
        let f = parse("pyproject.toml", "[tool.eksguard]\nselect = [\"EKS001\"]\n").expect("parse");
        assert_eq!(f.select, ["EKS001"]);
    }
}
