//! Rule documentation: the front matter of `rules/<ID>.md` and the rule
//! table that the README and `eksguard rules --format markdown` share.

use super::REGISTRY;

/// The `key: value` lines between the leading `---` fences of a rule doc.
pub fn front_matter(doc: &str) -> Vec<(&str, &str)> {
    let mut lines = doc.lines();
    if lines.next().map(str::trim_end) != Some("---") {
        return Vec::new();
    }
    lines
        .take_while(|l| l.trim_end() != "---")
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

/// One value of a doc's front matter.
pub fn field<'a>(doc: &'a str, key: &str) -> Option<&'a str> {
    front_matter(doc).into_iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// The rule table in Markdown, one row per registered rule.
pub fn markdown_table() -> String {
    let mut out = String::from("| id | name | severity | what |\n|----|------|----------|------|\n");
    for r in REGISTRY {
        out.push_str(&format!(
            "| [{id}](rules/{id}.md) | {} | {} | {} |\n",
            r.name,
            r.severity,
            r.summary.replace('|', "\\|"),
            id = r.id
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_front_matter() {
        let doc = "---\nid: EKS001\nname: x-y\neksctl: 0.167.0 to 0.175.x (a: b)\n---\n# EKS001\nid: not this\n";
        assert_eq!(field(doc, "id"), Some("EKS001"));
        assert_eq!(field(doc, "eksctl"), Some("0.167.0 to 0.175.x (a: b)"));
        assert_eq!(front_matter(doc).len(), 3);
        assert!(front_matter("# no front matter\n").is_empty());
    }
}
