//! The Markdown report, for GitHub job summaries (`>> "$GITHUB_STEP_SUMMARY"`)
//! and merge-request comments: a verdict, the counts, the inputs that could
//! not be read, the findings (errors first, each rule linked to its doc), a
//! Mermaid flowchart of the clusters and the stacks whose access entries
//! target them (rejected entries marked), and the clusters.
//!
//! Bounded: GitHub takes at most 1 MiB of step summary, and Mermaid refuses
//! diagrams over 50,000 characters. Each table gets a share of
//! [`MAX_BYTES`] and ends with "and N more" when it is full; the diagram
//! shows the clusters with the most rejected entries, then the most
//! entries, and folds the rest of a cluster's stacks into one node. Cells
//! and labels are cut to a fixed length, so the output stays valid
//! Markdown and valid Mermaid whatever the size of the sweep. Untrusted
//! text is escaped for both (`escape`); node ids are generated.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Arc;

use crate::finding::{Finding, Severity};

use super::escape::{markdown as md, markdown_message, mermaid, shorten, shorten_middle};
use super::{
    ClusterSummary, Load, Relation, RenderOptions, Report, Whole, by_severity, mode_text, plural, rule_doc_url,
};

/// The most the whole document may take (GitHub's limit is 1 MiB).
pub const MAX_BYTES: usize = 1_000_000;
/// Shares of [`MAX_BYTES`]; the rest is the heading, counts and notes.
const FINDINGS_BYTES: usize = 560_000;
const ERRORS_BYTES: usize = 100_000;
const CLUSTERS_BYTES: usize = 240_000;
/// The diagram, below Mermaid's default `maxTextSize` of 50,000.
pub const MERMAID_BYTES: usize = 45_000;
/// Longest message and longest name or path in a cell, in characters.
const MESSAGE_CHARS: usize = 600;
const NAME_CHARS: usize = 120;
/// Longest label text in the diagram, in characters.
const LABEL_CHARS: usize = 60;

pub fn render(report: &Report, _options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(document(report).as_bytes())
}

/// The whole report.
pub fn document(report: &Report) -> String {
    let report = &Whole::of(report);
    let load = report.cluster_load();
    let mut out = String::new();
    verdict(report, &load, &mut out);
    if !report.errors.is_empty() {
        out.push_str("\n### Inputs not read\n\n");
        let rows = report.errors.iter().map(|e| {
            format!("| {} | {} |\n", md(&shorten_middle(&e.path, NAME_CHARS)), md(&shorten(&e.message, MESSAGE_CHARS)))
        });
        table(&mut out, "| input | reason |\n|---|---|\n", rows, report.errors.len(), ERRORS_BYTES, "inputs");
    }
    out.push_str("\n### Findings\n\n");
    if report.findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        let rows = by_severity(&report.findings).into_iter().map(finding_row);
        let header = "| severity | rule | location | cluster | message |\n|---|---|---|---|---|\n";
        table(&mut out, header, rows, report.findings.len(), FINDINGS_BYTES, "findings");
    }
    if !report.clusters.is_empty() {
        let order = report.clusters_by_load(&load);
        if !report.relations.is_empty() {
            out.push_str("\n### Clusters and the stacks that target them\n\n");
            diagram(report, &load, &order, &mut out);
        }
        out.push_str("\n### Clusters\n\n");
        let header = "| cluster | mode | mode from | defined in | stacks | access entries | rejected |\n\
                      |---|---|---|---|--:|--:|--:|\n";
        let rows = order.iter().map(|&i| cluster_row(&report.clusters[i], load[i]));
        table(&mut out, header, rows, report.clusters.len(), CLUSTERS_BYTES, "clusters");
    }
    out
}

fn verdict(report: &Whole<'_>, load: &[Load], out: &mut String) {
    let s = &report.summary;
    let f = &s.findings;
    let icon = if f.error > 0 || s.errors > 0 {
        "❌"
    } else if f.warning > 0 {
        "⚠️"
    } else {
        "✅"
    };
    let found = if f.total() == 0 {
        "no findings".to_owned()
    } else {
        format!(
            "{}, {}, {}",
            plural(f.error, "error", "errors"),
            plural(f.warning, "warning", "warnings"),
            plural(f.note, "note", "notes")
        )
    };
    let _ = writeln!(out, "## {icon} eksguard: {found}\n");
    let mut lines = Vec::new();
    let failing: usize = load.iter().map(|l| l.failing).sum();
    if failing > 0 {
        let stacks = report.relations.iter().filter(|r| r.failing > 0).map(|r| (&r.path, &r.stack));
        let stacks = stacks.collect::<std::collections::BTreeSet<_>>().len();
        let clusters = load.iter().filter(|l| l.failing > 0).count();
        lines.push(format!(
            "**CloudFormation will reject {failing} of {}** in {} on {} whose authentication mode is CONFIG_MAP.",
            plural(load.iter().map(|l| l.entries).sum::<usize>(), "access entry", "access entries"),
            plural(stacks, "stack", "stacks"),
            plural(clusters, "cluster", "clusters"),
        ));
    }
    if s.errors > 0 {
        lines.push(format!("**{} could not be read.**", plural(s.errors, "input", "inputs")));
    }
    for line in lines {
        let _ = writeln!(out, "{line}\n");
    }
    out.push_str(
        "| inputs | analysed | skipped | not read | templates | ClusterConfigs | describe-cluster | clusters | \
         access entries | suppressed | baselined |\n|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        s.inputs,
        s.analysed,
        s.skipped,
        s.errors,
        s.templates,
        s.cluster_configs,
        s.contexts,
        s.clusters,
        s.access_entries,
        s.suppressed,
        s.baselined
    );
}

/// Writes a table: its header, then rows while they fit in `budget` bytes,
/// then how many were left out.
fn table(out: &mut String, header: &str, rows: impl Iterator<Item = String>, total: usize, budget: usize, what: &str) {
    let start = out.len();
    out.push_str(header);
    let mut shown = 0;
    for row in rows {
        if out.len() - start + row.len() > budget {
            break;
        }
        out.push_str(&row);
        shown += 1;
    }
    if shown < total {
        let _ = writeln!(out, "\n… and {} more {what} (the JSON and HTML reports list them all).", total - shown);
    }
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "❌ error",
        Severity::Warning => "⚠️ warning",
        Severity::Note => "ℹ️ note",
    }
}

fn rule_link(rule: &str, name: &str) -> String {
    match rule_doc_url(rule) {
        Some(url) => format!("[{rule}]({url} \"{name}\")"),
        None => md(&shorten_middle(rule, NAME_CHARS)),
    }
}

fn finding_row(f: &Finding) -> String {
    let l = &f.location;
    format!(
        "| {} | {} | {}:{} | {} | {} |\n",
        severity(f.severity),
        rule_link(f.rule, f.name),
        md(&shorten_middle(&l.path, NAME_CHARS)),
        l.line,
        f.cluster.as_deref().map(|c| md(&shorten_middle(c, NAME_CHARS))).unwrap_or_default(),
        markdown_message(&shorten(&f.message, MESSAGE_CHARS)),
    )
}

fn cluster_name(c: &ClusterSummary) -> String {
    c.name.as_deref().map_or_else(|| "(unnamed)".to_owned(), |n| shorten_middle(n, NAME_CHARS).into_owned())
}

fn cluster_row(c: &ClusterSummary, load: Load) -> String {
    let mut defined = match c.definitions.first() {
        Some(d) => format!("{}:{}", md(&shorten_middle(&d.path, NAME_CHARS)), d.line),
        None => String::new(),
    };
    if c.definitions.len() > 1 {
        let _ = write!(defined, " (and {} more)", c.definitions.len() - 1);
    }
    if let Some(live) = &c.live {
        if !defined.is_empty() {
            defined.push_str("; ");
        }
        let _ = write!(defined, "live: {}", md(&shorten_middle(&live.path, NAME_CHARS)));
    }
    let rejected = if load.failing > 0 { format!("**{}** ❌", load.failing) } else { "0".to_owned() };
    format!(
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        md(&cluster_name(c)),
        md(mode_text(c)),
        c.source.unwrap_or(""),
        defined,
        load.stacks,
        load.entries,
        rejected
    )
}

/// The Mermaid flowchart, as large as fits in [`MERMAID_BYTES`].
fn diagram(report: &Whole<'_>, load: &[Load], order: &[usize], out: &mut String) {
    let mut by_cluster: BTreeMap<usize, Vec<&Relation>> = BTreeMap::new();
    for r in &report.relations {
        by_cluster.entry(r.cluster).or_default().push(r);
    }
    for stacks in by_cluster.values_mut() {
        // Stacks with the most rejected entries first, then the most entries.
        stacks.sort_by_key(|r| (std::cmp::Reverse(r.failing), std::cmp::Reverse(r.entries)));
    }
    let mut shape = (20, 6);
    loop {
        let (text, shown) = flowchart(report, load, order, &by_cluster, shape.0, shape.1);
        if text.len() <= MERMAID_BYTES || shape == (1, 1) {
            out.push_str(&text);
            if shown < report.clusters.len() {
                let _ = writeln!(
                    out,
                    "\nThe diagram shows {shown} of {} clusters, those with the most rejected and then the most access \
                     entries.",
                    report.clusters.len()
                );
            }
            return;
        }
        shape = (shape.0.div_ceil(2), shape.1.div_ceil(2));
    }
}

/// One flowchart with at most `max_clusters` clusters and `max_stacks`
/// stack nodes per cluster (the last one folding in the rest); gives the
/// text and how many clusters it shows.
fn flowchart(
    report: &Whole<'_>,
    load: &[Load],
    order: &[usize],
    by_cluster: &BTreeMap<usize, Vec<&Relation>>,
    max_clusters: usize,
    max_stacks: usize,
) -> (String, usize) {
    let mut nodes = String::new();
    let mut edges = String::new();
    let mut failing_edges = Vec::new();
    let mut edge_count = 0;
    let mut stack_ids: BTreeMap<(&Arc<str>, &str), usize> = BTreeMap::new();
    let mut more = 0;
    let shown: Vec<usize> = order.iter().copied().take(max_clusters).collect();
    for (k, &i) in shown.iter().enumerate() {
        let c = &report.clusters[i];
        let l = load[i];
        let class = match (c.mode.as_deref(), l.failing) {
            (_, 1..) => "fail",
            (Some("CONFIG_MAP"), _) => "cm",
            (Some(_), _) => "ok",
            (None, _) => "other",
        };
        let name = c.name.as_deref().unwrap_or("(unnamed)");
        let detail = match c.source {
            Some(source) => format!("{} · {source}", mode_text(c)),
            None => mode_text(c).to_owned(),
        };
        let _ = writeln!(
            nodes,
            "  c{k}[\"<b>{}</b><br/>{}\"]:::{class}",
            mermaid(&shorten_middle(name, LABEL_CHARS)),
            mermaid(&detail)
        );
        let stacks = by_cluster.get(&i).map_or(&[][..], Vec::as_slice);
        let named = if stacks.len() > max_stacks { max_stacks.saturating_sub(1) } else { stacks.len() };
        for r in &stacks[..named] {
            let next = stack_ids.len();
            let id = *stack_ids.entry((&r.path, &r.stack)).or_insert_with(|| {
                let class = if r.failing > 0 { "fail" } else { "ok" };
                let _ = writeln!(nodes, "  s{next}[\"{}\"]:::{class}", mermaid(&shorten_middle(&r.stack, LABEL_CHARS)));
                next
            });
            edge(&mut edges, &format!("s{id}"), k, r.entries, r.failing, &mut edge_count, &mut failing_edges);
        }
        let rest = &stacks[named..];
        if !rest.is_empty() {
            let entries: usize = rest.iter().map(|r| r.entries).sum();
            let failing: usize = rest.iter().map(|r| r.failing).sum();
            let failing_stacks = rest.iter().filter(|r| r.failing > 0).count();
            let text = if failing_stacks > 0 {
                format!(
                    "+ {} more {}, {failing_stacks} failing",
                    rest.len(),
                    if rest.len() == 1 { "stack" } else { "stacks" }
                )
            } else {
                format!("+ {} more {}", rest.len(), if rest.len() == 1 { "stack" } else { "stacks" })
            };
            let _ = writeln!(nodes, "  m{more}[\"{}\"]:::more", mermaid(&text));
            edge(&mut edges, &format!("m{more}"), k, entries, failing, &mut edge_count, &mut failing_edges);
            more += 1;
        }
    }
    let mut text = String::from(
        "```mermaid\nflowchart LR\n  classDef fail fill:#ffebe9,stroke:#cf222e,color:#1f2328\n  \
         classDef cm fill:#fff8c5,stroke:#9a6700,color:#1f2328\n  classDef ok fill:#dafbe1,stroke:#1a7f37,color:#1f2328\n  \
         classDef other fill:#f6f8fa,stroke:#8c959f,color:#1f2328\n  \
         classDef more fill:#ffffff,stroke:#8c959f,stroke-dasharray:4 3,color:#57606a\n",
    );
    text.push_str(&nodes);
    text.push_str(&edges);
    if !failing_edges.is_empty() {
        let list: Vec<String> = failing_edges.iter().map(ToString::to_string).collect();
        let _ = writeln!(text, "  linkStyle {} stroke:#cf222e,stroke-width:3px", list.join(","));
    }
    text.push_str("```\n");
    (text, shown.len())
}

/// An edge from a stack node to cluster `c{cluster}`: thick and labelled
/// with the count when entries are rejected.
fn edge(
    edges: &mut String,
    from: &str,
    cluster: usize,
    entries: usize,
    failing: usize,
    count: &mut usize,
    failing_edges: &mut Vec<usize>,
) {
    if failing > 0 {
        let label =
            if failing == entries { format!("{failing} rejected") } else { format!("{failing} of {entries} rejected") };
        let _ = writeln!(edges, "  {from} ==>|\"{}\"| c{cluster}", mermaid(&label));
        failing_edges.push(*count);
    } else {
        let label = plural(entries, "entry", "entries");
        let _ = writeln!(edges, "  {from} -->|\"{}\"| c{cluster}", mermaid(&label));
    }
    *count += 1;
}
