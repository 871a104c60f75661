//! Why one unit of input could not be read or understood: loading's error
//! type, carried by [`super::Outcome::Error`].
//!
//! Each variant is a kind of failure callers can tell apart (a test, a
//! library user deciding whether to retry); its text is the one-line reason
//! users see in every report format, naming line and column where there is
//! one.

/// An input that could not be read or understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// Reading the file or standard input failed.
    #[error("{0}")]
    Read(String),
    /// The bytes are not text eksguard reads (invalid UTF-8 or UTF-16).
    #[error("{0}")]
    Encoding(String),
    /// JSON that does not parse.
    #[error("{0}")]
    Json(String),
    /// YAML that does not parse.
    #[error("{0}")]
    Yaml(String),
    /// Nested deeper than eksguard reads, or YAML aliases expanding beyond
    /// their budget.
    #[error("{0}")]
    TooDeep(String),
    /// More values in the parts eksguard reads than it builds from one
    /// file, in `resource` when one is being read; `within` names the
    /// enclosing part (`TemplateBody: `), empty for the file itself.
    #[error("{within}{}{message}", resource.as_ref().map(|r| format!("resource {r} is ")).unwrap_or_default())]
    TooLarge { within: String, resource: Option<String>, message: String },
    /// An archive that cannot be read: corrupt, or an entry that cannot be
    /// decompressed.
    #[error("{0}")]
    Archive(String),
}

impl LoadError {
    /// The same error with `prefix` before its text (`TemplateBody: ...`
    /// for the template inside `get-template` output).
    pub(crate) fn within(self, prefix: &str) -> Self {
        let text = |m: String| format!("{prefix}{m}");
        match self {
            Self::Read(m) => Self::Read(text(m)),
            Self::Encoding(m) => Self::Encoding(text(m)),
            Self::Json(m) => Self::Json(text(m)),
            Self::Yaml(m) => Self::Yaml(text(m)),
            Self::TooDeep(m) => Self::TooDeep(text(m)),
            Self::TooLarge { within, resource, message } => Self::TooLarge { within: text(within), resource, message },
            Self::Archive(m) => Self::Archive(text(m)),
        }
    }

    /// A too-large error attributed to `resource` (no change to others).
    pub(crate) fn in_resource(self, resource: &str) -> Self {
        match self {
            Self::TooLarge { within, resource: None, message } => {
                Self::TooLarge { within, resource: Some(resource.to_owned()), message }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_names_its_resource_and_prefixes_keep_the_kind() {
        let e = LoadError::TooLarge { within: String::new(), resource: None, message: "too large to analyse".into() };
        assert_eq!(e.clone().in_resource("E").to_string(), "resource E is too large to analyse");
        let e = e.in_resource("E").within("TemplateBody: ");
        assert!(matches!(&e, LoadError::TooLarge { resource: Some(r), .. } if r == "E"));
        assert_eq!(e.to_string(), "TemplateBody: resource E is too large to analyse");
        assert_eq!(LoadError::Json("x".into()).in_resource("E"), LoadError::Json("x".into()));
    }
}
