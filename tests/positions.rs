//! Property: for generated templates, every finding's line:column (and
//! every related location's) starts the key or value its JSON pointer
//! names, in JSON and YAML, block and one-line layouts, with LF, CRLF and
//! CR line breaks, in UTF-8 with and without a BOM and in UTF-16 with one.
//! Columns count characters of the decoded text, so non-ASCII text sits
//! before the located tokens on their lines.

use std::collections::HashMap;

use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
enum Syntax {
    Json,
    Yaml,
}

#[derive(Debug, Clone, Copy)]
enum Quote {
    Plain,
    Single,
    Double,
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

#[derive(Debug, Clone)]
struct Case {
    syntax: Syntax,
    one_line: bool,
    indent: usize,
    break_with: &'static str,
    encoding: Encoding,
    cluster: String,
    entries: Vec<(String, Quote)>,
    note: String,
}

/// A tree to print: a mapping of keys (with their YAML quoting) to values.
enum Tree {
    Str(String, Quote),
    Map(Vec<(String, Quote, Tree)>),
}

fn s(text: &str, quote: Quote) -> Tree {
    Tree::Str(text.to_owned(), quote)
}

fn map(entries: Vec<(&str, Quote, Tree)>) -> Tree {
    Tree::Map(entries.into_iter().map(|(k, q, v)| (k.to_owned(), q, v)).collect())
}

fn scalar(syntax: Syntax, text: &str, quote: Quote) -> String {
    match (syntax, quote) {
        (Syntax::Json, _) | (Syntax::Yaml, Quote::Double) => serde_json::to_string(text).expect("string"),
        (Syntax::Yaml, Quote::Single) => format!("'{}'", text.replace('\'', "''")),
        (Syntax::Yaml, Quote::Plain) => text.to_owned(),
    }
}

/// Prints `tree` and records, for every pointer, the text its key or
/// value starts with (what findings must point at).
struct Printer<'a> {
    case: &'a Case,
    out: String,
    at: HashMap<String, String>,
}

impl Printer<'_> {
    fn value(&mut self, tree: &Tree, pointer: &str, depth: usize) {
        match tree {
            Tree::Str(text, quote) => {
                let text = scalar(self.case.syntax, text, *quote);
                self.at.insert(pointer.to_owned(), text.clone());
                self.out.push_str(&text);
            }
            Tree::Map(entries) => {
                let json = matches!(self.case.syntax, Syntax::Json);
                // One-line YAML keeps a block root: text starting with `{`
                // is read as JSON.
                let flow = json || (self.case.one_line && depth > 0);
                if flow {
                    self.out.push('{');
                }
                for (i, (key, quote, value)) in entries.iter().enumerate() {
                    if flow && i > 0 {
                        self.out.push_str(", ");
                    }
                    let newline = if json { !self.case.one_line } else { !flow && (depth > 0 || i > 0) };
                    if newline {
                        self.out.push('\n');
                        self.out.push_str(&" ".repeat(self.case.indent * if json { depth + 1 } else { depth }));
                    }
                    let key_text = scalar(self.case.syntax, key, *quote);
                    let child = format!("{pointer}/{key}");
                    self.at.insert(format!("{child}#key"), key_text.clone());
                    self.out.push_str(&key_text);
                    self.out.push_str(": ");
                    if !json && !self.case.one_line && matches!(value, Tree::Map(_)) {
                        self.out.pop();
                    }
                    self.value(value, &child, depth + 1);
                }
                if flow {
                    if json && !self.case.one_line {
                        self.out.push('\n');
                        self.out.push_str(&" ".repeat(self.case.indent * depth));
                    }
                    self.out.push('}');
                }
            }
        }
    }
}

fn template(case: &Case) -> Tree {
    let mut resources = vec![(
        "Notes",
        Quote::Plain,
        map(vec![
            ("Type", Quote::Plain, s("AWS::SNS::Topic", Quote::Plain)),
            ("Properties", Quote::Plain, map(vec![("DisplayName", Quote::Double, s(&case.note, Quote::Double))])),
        ]),
    )];
    resources.push((
        "ControlPlane",
        Quote::Plain,
        map(vec![
            ("Type", Quote::Plain, s("AWS::EKS::Cluster", Quote::Plain)),
            (
                "Properties",
                Quote::Plain,
                map(vec![
                    ("Name", Quote::Plain, s(&case.cluster, Quote::Plain)),
                    (
                        "AccessConfig",
                        Quote::Plain,
                        map(vec![("AuthenticationMode", Quote::Plain, s("CONFIG_MAP", Quote::Single))]),
                    ),
                ]),
            ),
        ]),
    ));
    let entries: Vec<(String, Quote, Tree)> = case
        .entries
        .iter()
        .enumerate()
        .map(|(i, (id, quote))| {
            let entry = map(vec![
                ("Type", Quote::Plain, s("AWS::EKS::AccessEntry", Quote::Plain)),
                (
                    "Properties",
                    Quote::Plain,
                    map(vec![
                        ("Description", Quote::Plain, s(&case.note, Quote::Double)),
                        ("ClusterName", Quote::Plain, s(&case.cluster, *quote)),
                        (
                            "PrincipalArn",
                            Quote::Plain,
                            s(&format!("arn:aws:iam::111122223333:role/r{i}"), Quote::Plain),
                        ),
                    ]),
                ),
            ]);
            (id.clone(), *quote, entry)
        })
        .collect();
    let mut all: Vec<(String, Quote, Tree)> = resources.into_iter().map(|(k, q, v)| (k.to_owned(), q, v)).collect();
    all.extend(entries);
    Tree::Map(vec![
        ("Description".to_owned(), Quote::Plain, s(&case.note, Quote::Double)),
        ("Resources".to_owned(), Quote::Plain, Tree::Map(all)),
    ])
}

fn print(case: &Case) -> (String, HashMap<String, String>) {
    let mut printer = Printer { case, out: String::new(), at: HashMap::new() };
    printer.value(&template(case), "", 0);
    printer.out.push('\n');
    let text = printer.out.replace('\n', case.break_with);
    (text, printer.at)
}

fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        Encoding::Utf16Le => [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect(),
        Encoding::Utf16Be => [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect(),
    }
}

/// The text at 1-based `line` and `column` (characters), any line break.
fn text_at(text: &str, line: u32, column: u32) -> String {
    let lines: Vec<&str> = text.split("\r\n").flat_map(|l| l.split(['\r', '\n'])).collect();
    let Some(l) = lines.get(line as usize - 1) else { return String::new() };
    l.chars().skip(column as usize - 1).collect()
}

fn id() -> impl Strategy<Value = (String, Quote)> {
    ("[A-Z][A-Za-z0-9]{0,10}", prop_oneof![Just(Quote::Plain), Just(Quote::Single), Just(Quote::Double)])
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just(Syntax::Json), Just(Syntax::Yaml)],
        any::<bool>(),
        2usize..5,
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        prop_oneof![Just(Encoding::Utf8), Just(Encoding::Utf8Bom), Just(Encoding::Utf16Le), Just(Encoding::Utf16Be)],
        "[a-z][a-z0-9-]{2,12}",
        prop::collection::vec(id(), 1..4),
        "[a-zA-Z \u{e9}\u{2615}\u{1F600}\u{4E2D}]{0,12}",
    )
        .prop_map(|(syntax, one_line, indent, break_with, encoding, cluster, entries, note)| {
            let mut seen = std::collections::HashSet::new();
            let entries: Vec<(String, Quote)> = entries
                .into_iter()
                .filter(|(id, _)| !["Notes", "ControlPlane"].contains(&id.as_str()) && seen.insert(id.clone()))
                .collect();
            // Prefixed so that no plain scalar reads as a boolean or null.
            let entries = entries.into_iter().map(|(id, q)| (format!("E{id}"), q)).collect();
            Case { syntax, one_line, indent, break_with, encoding, cluster: format!("eks-{cluster}"), entries, note }
        })
        .prop_filter("an access entry", |c| !c.entries.is_empty())
}

proptest! {
    // Modest: each case writes a file and runs a scan. A fixed seed keeps
    // CI deterministic (change it locally to explore other cases).
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(13),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_location_starts_the_token_its_pointer_names(case in case()) {
        let (text, at) = print(&case);
        let dir = tempfile::tempdir().expect("tempdir");
        let ext = match case.syntax { Syntax::Json => "json", Syntax::Yaml => "yaml" };
        let path = dir.path().join(format!("t.{ext}"));
        std::fs::write(&path, encode(&text, case.encoding)).expect("write");
        let config = eksguard::ScanConfig {
            paths: vec![path.to_string_lossy().into_owned()],
            jobs: Some(1),
            ..eksguard::ScanConfig::default()
        };
        let report = eksguard::scan(&config).expect("scan");
        prop_assert_eq!(report.errors.len(), 0, "{:?}\n{}", report.errors, text);
        let eks001 = report.findings.iter().filter(|f| f.rule == "EKS001").count();
        prop_assert_eq!(eks001, case.entries.len(), "{}", text);
        for finding in report.findings.iter() {
            let locations = std::iter::once(&finding.location).chain(finding.related.iter().map(|r| &r.location));
            for location in locations {
                let pointer = location.pointer.to_string();
                // A resource is located at its key; anything else at its value.
                let want = at.get(&format!("{pointer}#key")).filter(|_| pointer.matches('/').count() == 2)
                    .or_else(|| at.get(&pointer));
                let want = want.unwrap_or_else(|| panic!("no token for {pointer}"));
                let got = text_at(&text, location.line, location.column);
                prop_assert!(
                    got.starts_with(want.as_str()),
                    "{} {}:{} is {:?}, not {:?}\n{:?}", pointer, location.line, location.column, got, want, text
                );
            }
        }
    }
}
