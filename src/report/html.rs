//! The HTML report, for archive sweeps: one self-contained file (inline CSS,
//! an inline SVG diagram drawn here, a little inline script that only
//! filters and sorts; no request leaves the page, and everything is
//! readable with scripts off). It holds the verdict and counts, a diagram
//! of the clusters and the stacks whose access entries target them, the
//! cluster table, the inputs not read, and the findings grouped by cluster
//! with their quoted source lines, related locations and fixes.
//!
//! Its size grows with findings and clusters, not with clean stacks: the
//! diagram shows at most [`DIAGRAM_CLUSTERS`] clusters and folds a
//! cluster's stacks beyond [`DIAGRAM_STACKS`] into one node. The markup is
//! also well-formed XML (void elements closed, script and style in CDATA
//! sections), so a test can check it with an XML parser; every piece of
//! untrusted text goes through `escape::html`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::finding::{Finding, Location};

use super::escape::{html as attr, html_message, html_text as esc, shorten_middle};
use super::{
    ClusterSummary, Load, Relation, RenderOptions, Report, Whole, by_severity, mode_text, plural, rule_doc_url,
};

/// Clusters drawn in the diagram (the rest are in the table).
pub const DIAGRAM_CLUSTERS: usize = 40;
/// Stack nodes drawn per cluster, the last folding in the rest.
pub const DIAGRAM_STACKS: usize = 6;

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

pub fn render(report: &Report, _options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let report = &Whole::of(report);
    let load = report.cluster_load();
    let mut page = String::with_capacity(64 * 1024 + report.findings.len() * 1024);
    page.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <meta name=\"generator\" content=\"eksguard\"/>\n<title>eksguard report</title>\n<style>/*<![CDATA[*/\n",
    );
    page.push_str(STYLE);
    page.push_str("/*]]>*/</style>\n</head>\n<body>\n<main>\n");
    verdict(report, &load, &mut page);
    let drawn = !report.clusters.is_empty() && !report.relations.is_empty();
    page.push_str("<nav>");
    for (shown, id, text) in [
        (drawn, "diagram", "Diagram"),
        (!report.errors.is_empty(), "errors", "Inputs not read"),
        (!report.clusters.is_empty(), "clusters", "Clusters"),
        (true, "findings", "Findings"),
    ] {
        if shown {
            let _ = write!(page, "<a href=\"#{id}\">{text}</a>");
        }
    }
    page.push_str("</nav>\n");
    if drawn {
        diagram(report, &load, &mut page);
    }
    if !report.errors.is_empty() {
        page.push_str("<section id=\"errors\">\n<h2>Inputs not read</h2>\n<table>\n<thead><tr><th>input</th><th>reason</th></tr></thead>\n<tbody>\n");
        for e in &report.errors {
            let _ = writeln!(page, "<tr><td class=\"path\">{}</td><td>{}</td></tr>", esc(&e.path), esc(&e.message));
        }
        page.push_str("</tbody>\n</table>\n</section>\n");
    }
    clusters(report, &load, &mut page);
    findings(report, &mut page);
    let _ = write!(
        page,
        "<footer>eksguard {} · <a href=\"{}\">documentation</a></footer>\n</main>\n<script>//<![CDATA[\n{SCRIPT}//]]></script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        super::sarif::INFORMATION_URI
    );
    out.write_all(page.as_bytes())
}

fn verdict(report: &Whole<'_>, load: &[Load], page: &mut String) {
    let s = &report.summary;
    let f = &s.findings;
    let (class, text) = if f.error > 0 || s.errors > 0 {
        ("fail", "Failed")
    } else if f.warning > 0 {
        ("warn", "Warnings")
    } else {
        ("pass", "Passed")
    };
    let failing: usize = load.iter().map(|l| l.failing).sum();
    let entries: usize = load.iter().map(|l| l.entries).sum();
    let _ = writeln!(page, "<header>\n<h1>eksguard report <span class=\"verdict {class}\">{text}</span></h1>");
    let mut said = Vec::new();
    if failing > 0 {
        let clusters = load.iter().filter(|l| l.failing > 0).count();
        said.push(format!(
            "CloudFormation will reject <strong>{failing} of {}</strong> on {} whose authentication mode is CONFIG_MAP.",
            plural(entries, "access entry", "access entries"),
            plural(clusters, "cluster", "clusters")
        ));
    }
    if s.errors > 0 {
        said.push(format!("<strong>{}</strong> could not be read.", plural(s.errors, "input", "inputs")));
    }
    if f.total() == 0 && s.errors == 0 {
        said.push("No findings.".to_owned());
    }
    let _ = writeln!(page, "<p class=\"lead\">{}</p>\n</header>", said.join(" "));
    page.push_str("<section id=\"summary\" class=\"cards\">\n");
    let cards: [(&str, usize, &str); 9] = [
        ("errors", f.error, if f.error > 0 { "bad" } else { "" }),
        ("warnings", f.warning, if f.warning > 0 { "warn" } else { "" }),
        ("notes", f.note, ""),
        ("rejected", failing, if failing > 0 { "bad" } else { "" }),
        ("inputs", s.inputs, ""),
        ("not read", s.errors, if s.errors > 0 { "bad" } else { "" }),
        ("templates", s.templates, ""),
        ("clusters", s.clusters, ""),
        ("access entries", s.access_entries, ""),
    ];
    for (label, n, class) in cards {
        let _ = writeln!(page, "<div class=\"card {class}\"><b>{n}</b><span>{label}</span></div>");
    }
    page.push_str("</section>\n");
    let _ = writeln!(
        page,
        "<p class=\"counts\">{} analysed, {} skipped, {}, {}; {} suppressed, {} baselined.</p>",
        s.analysed,
        s.skipped,
        plural(s.cluster_configs, "ClusterConfig", "ClusterConfigs"),
        plural(s.contexts, "describe-cluster output", "describe-cluster outputs"),
        s.suppressed,
        s.baselined
    );
}

fn mode_class(c: &ClusterSummary, load: Load) -> &'static str {
    match (c.mode.as_deref(), load.failing) {
        (_, 1..) => "fail",
        (Some("CONFIG_MAP"), _) => "cm",
        (Some(_), _) => "ok",
        (None, _) => "other",
    }
}

fn cluster_name(c: &ClusterSummary) -> &str {
    c.name.as_deref().unwrap_or("(unnamed)")
}

fn clusters(report: &Whole<'_>, load: &[Load], page: &mut String) {
    if report.clusters.is_empty() {
        return;
    }
    page.push_str(
        "<section id=\"clusters\">\n<h2>Clusters</h2>\n<table class=\"sortable\">\n<thead><tr>\
         <th><button type=\"button\">cluster</button></th><th><button type=\"button\">mode</button></th>\
         <th><button type=\"button\">mode from</button></th><th><button type=\"button\">defined in</button></th>\
         <th class=\"num\"><button type=\"button\">stacks</button></th>\
         <th class=\"num\"><button type=\"button\">access entries</button></th>\
         <th class=\"num\"><button type=\"button\">rejected</button></th></tr></thead>\n<tbody>\n",
    );
    for i in report.clusters_by_load(load) {
        let c = &report.clusters[i];
        let l = load[i];
        let mut defined = String::new();
        for d in &c.definitions {
            let _ = write!(defined, "<div class=\"path\">{}:{}</div>", esc(&d.path), d.line);
        }
        if let Some(live) = &c.live {
            let _ = write!(defined, "<div class=\"path\">live: {}</div>", esc(&live.path));
        }
        let _ = writeln!(
            page,
            "<tr id=\"cluster-{i}\"><td>{}</td><td><span class=\"mode {}\">{}</span></td><td>{}</td><td>{defined}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td></tr>",
            esc(cluster_name(c)),
            mode_class(c, l),
            esc(mode_text(c)),
            c.source.unwrap_or(""),
            l.stacks,
            l.entries,
            if l.failing > 0 { " bad" } else { "" },
            l.failing
        );
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

/// The findings, grouped by cluster (groups with errors first, then the
/// most findings), with the filters the script shows.
fn findings(report: &Whole<'_>, page: &mut String) {
    page.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n");
    if report.findings.is_empty() {
        page.push_str("<p>No findings.</p>\n</section>\n");
        return;
    }
    // Cluster names to generated keys: `data-cluster` never holds a name.
    let names: BTreeMap<Option<&str>, usize> = {
        let mut names: Vec<Option<&str>> = report.findings.iter().map(|f| f.cluster.as_deref()).collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter().enumerate().map(|(k, n)| (n, k)).collect()
    };
    let mut groups: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
    for f in by_severity(&report.findings) {
        groups.entry(names[&f.cluster.as_deref()]).or_default().push(f);
    }
    let mut order: Vec<(usize, Vec<&Finding>)> = groups.into_iter().collect();
    order.sort_by_key(|(k, fs)| (std::cmp::Reverse(fs[0].severity), std::cmp::Reverse(fs.len()), *k));

    let mut rules: Vec<(&str, &str)> = report.findings.iter().map(|f| (f.rule, f.name)).collect();
    rules.sort_unstable();
    rules.dedup();
    page.push_str(
        "<form id=\"filters\" class=\"filters\" hidden=\"hidden\">\n<label>rule <select id=\"f-rule\">\
         <option value=\"\">all</option>",
    );
    for (rule, name) in rules {
        let _ = write!(page, "<option value=\"{}\">{} {}</option>", attr(rule), esc(rule), esc(name));
    }
    page.push_str(
        "</select></label>\n<label>severity <select id=\"f-severity\"><option value=\"\">all</option>\
         <option value=\"error\">error</option><option value=\"warning\">warning</option>\
         <option value=\"note\">note</option></select></label>\n<label>cluster <select id=\"f-cluster\">\
         <option value=\"\">all</option>",
    );
    for (name, k) in &names {
        let _ = write!(page, "<option value=\"k{k}\">{}</option>", esc(name.unwrap_or("(no cluster)")));
    }
    let _ = writeln!(
        page,
        "</select></label>\n<output id=\"f-count\">{}</output>\n</form>",
        plural(report.findings.len(), "finding", "findings")
    );
    let load = report.cluster_load();
    let cluster_of: BTreeMap<&str, usize> =
        report.clusters.iter().enumerate().filter_map(|(i, c)| Some((c.name.as_deref()?, i))).collect();
    for (k, fs) in order {
        let name = fs[0].cluster.as_deref();
        let _ = write!(page, "<section class=\"group\" data-cluster=\"k{k}\">\n<h3>");
        match name {
            Some(n) => {
                let _ = write!(page, "cluster <span class=\"name\">{}</span>", esc(n));
                if let Some(&i) = cluster_of.get(n) {
                    let c = &report.clusters[i];
                    let _ =
                        write!(page, " <span class=\"mode {}\">{}</span>", mode_class(c, load[i]), esc(mode_text(c)));
                }
            }
            None => page.push_str("no cluster"),
        }
        let _ = writeln!(page, " <small>{}</small></h3>", plural(fs.len(), "finding", "findings"));
        // A fix that several findings of the group share is written once,
        // above them: a sweep's many EKS001 findings on one cluster have one.
        let mut uses: BTreeMap<&crate::finding::Remedy, usize> = BTreeMap::new();
        for f in &fs {
            *uses.entry(&f.remediation).or_default() += 1;
        }
        let mut shared: BTreeMap<&crate::finding::Remedy, usize> = BTreeMap::new();
        for f in &fs {
            let n = uses[&f.remediation];
            if n > 1 && !shared.contains_key(&f.remediation) {
                let id = shared.len();
                shared.insert(&f.remediation, id);
                let _ = writeln!(
                    page,
                    "<div class=\"fix shared\" id=\"fix-k{k}-{id}\"><b>Fix for {n} of these findings</b><pre>{}</pre></div>",
                    esc(&f.remediation.text())
                );
            }
        }
        for f in fs {
            let fix = shared.get(&f.remediation).map(|id| format!("fix-k{k}-{id}"));
            finding(f, k, fix.as_deref(), page);
        }
        page.push_str("</section>\n");
    }
    page.push_str("</section>\n");
}

/// One finding; its fix in full, or a link to the group's `shared_fix`.
fn finding(f: &Finding, cluster: usize, shared_fix: Option<&str>, page: &mut String) {
    let sev = f.severity.as_str();
    let _ = write!(
        page,
        "<article class=\"finding {sev}\" data-rule=\"{}\" data-severity=\"{sev}\" data-cluster=\"k{cluster}\">\n\
         <div class=\"head\"><span class=\"sev\">{sev}</span> ",
        attr(f.rule)
    );
    match rule_doc_url(f.rule) {
        Some(url) => {
            let _ = write!(page, "<a class=\"rule\" href=\"{url}\">{}</a>", f.rule);
        }
        None => {
            let _ = write!(page, "<span class=\"rule\">{}</span>", esc(f.rule));
        }
    }
    let _ = writeln!(
        page,
        " <span class=\"rname\">{}</span> <span class=\"path\">{}</span></div>\n<p class=\"msg\">{}</p>",
        esc(f.name),
        esc(&location(&f.location)),
        html_message(&f.message)
    );
    quote(&f.location, page);
    if !f.related.is_empty() {
        page.push_str("<ul class=\"related\">\n");
        for r in &f.related {
            let _ = write!(
                page,
                "<li><span class=\"path\">{}</span> {}",
                esc(&location(&r.location)),
                html_message(&r.message)
            );
            // Not the same line twice (an entry's ClusterName is often on
            // the line of the entry itself, in flow-style templates).
            if (&r.location.path, r.location.line) != (&f.location.path, f.location.line) {
                quote(&r.location, page);
            }
            page.push_str("</li>\n");
        }
        page.push_str("</ul>\n");
    }
    match shared_fix {
        Some(id) => {
            let _ = writeln!(page, "<p class=\"fix\"><b>Fix</b> <a href=\"#{id}\">as above</a></p>\n</article>");
        }
        None => {
            let _ = writeln!(
                page,
                "<div class=\"fix\"><b>Fix</b><pre>{}</pre></div>\n</article>",
                esc(&f.remediation.text())
            );
        }
    }
}

fn location(l: &Location) -> String {
    format!("{}:{}:{}", l.path, l.line, l.column)
}

/// The quoted source line of a location, when the scan kept it.
fn quote(l: &Location, page: &mut String) {
    if let Some(line) = &l.source_line {
        let _ = writeln!(page, "<pre class=\"src\"><span class=\"ln\">{}</span>{}</pre>", l.line, esc(line));
    }
}

/// Geometry of the diagram, in SVG user units.
const WIDTH: u32 = 960;
const NODE_W: u32 = 340;
const CLUSTER_X: u32 = WIDTH - NODE_W - 2;
const ROW: u32 = 30;
const NODE_H: u32 = 24;
const GAP: u32 = 18;
/// Characters of a name that fit in a node.
const NODE_CHARS: usize = 44;

/// The relation diagram: per cluster (most rejected entries first), its
/// stacks on the left (failing first, the rest folded into one node) and
/// the cluster on the right; red edges for rejected entries.
fn diagram(report: &Whole<'_>, load: &[Load], page: &mut String) {
    let mut by_cluster: BTreeMap<usize, Vec<&Relation>> = BTreeMap::new();
    for r in &report.relations {
        by_cluster.entry(r.cluster).or_default().push(r);
    }
    let order = report.clusters_by_load(load);
    let shown: Vec<usize> =
        order.iter().copied().filter(|i| by_cluster.contains_key(i)).take(DIAGRAM_CLUSTERS).collect();
    let mut body = String::new();
    let mut y = 4;
    for &i in &shown {
        let c = &report.clusters[i];
        let l = load[i];
        let mut stacks = by_cluster.remove(&i).unwrap_or_default();
        stacks.sort_by_key(|r| (std::cmp::Reverse(r.failing), std::cmp::Reverse(r.entries)));
        let named = if stacks.len() > DIAGRAM_STACKS { DIAGRAM_STACKS - 1 } else { stacks.len() };
        let rows = u32::try_from(named + usize::from(stacks.len() > named)).unwrap_or(u32::MAX).max(2);
        let block = rows * ROW - (ROW - NODE_H);
        let cy = y + block / 2;
        // The cluster, spanning its block.
        let _ = writeln!(
            body,
            "<g class=\"cl {}\"><title>{}</title><rect x=\"{CLUSTER_X}\" y=\"{y}\" width=\"{NODE_W}\" height=\"{block}\" rx=\"6\"/>\
             <text x=\"{}\" y=\"{}\" class=\"cname\">{}</text><text x=\"{}\" y=\"{}\">{}</text>\
             <text x=\"{}\" y=\"{}\" class=\"sub\">{}</text></g>",
            mode_class(c, l),
            esc(cluster_name(c)),
            CLUSTER_X + 12,
            cy - 12,
            esc(&shorten_middle(cluster_name(c), NODE_CHARS - 4)),
            CLUSTER_X + 12,
            cy + 4,
            esc(&format!("{}{}", mode_text(c), c.source.map(|s| format!(" · {s}")).unwrap_or_default())),
            CLUSTER_X + 12,
            cy + 19,
            esc(&format!(
                "{}, {}{}",
                plural(l.stacks, "stack", "stacks"),
                plural(l.entries, "entry", "entries"),
                if l.failing > 0 { format!(", {} rejected", l.failing) } else { String::new() }
            )),
        );
        let mut row_y = y;
        let mut draw = |label: &str, title: &str, entries: usize, failing: usize, folded: bool, row_y: u32| {
            let mid = row_y + NODE_H / 2;
            let class = match (failing > 0, folded) {
                (true, false) => "st fail",
                (true, true) => "st more fail",
                (false, false) => "st",
                (false, true) => "st more",
            };
            let width = 1.5 + (entries as f64).log2().min(4.0);
            let _ = writeln!(
                body,
                "<path class=\"edge{}\" d=\"M{} {mid} C{} {mid} {} {cy} {CLUSTER_X} {cy}\" stroke-width=\"{width:.1}\"/>\
                 <g class=\"{class}\"><title>{}</title><rect x=\"2\" y=\"{row_y}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"4\"/>\
                 <text x=\"10\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" class=\"badge\">{}</text></g>",
                if failing > 0 { " fail" } else { "" },
                NODE_W + 2,
                NODE_W + 90,
                CLUSTER_X - 90,
                esc(title),
                mid + 5,
                esc(label),
                NODE_W - 6,
                mid + 5,
                if failing > 0 { format!("✗ {failing}/{entries}") } else { format!("{entries}") },
            );
        };
        for r in &stacks[..named] {
            let title = format!("{} ({}): {}", r.stack, r.path, plural(r.entries, "access entry", "access entries"));
            draw(&shorten_middle(&r.stack, NODE_CHARS - 8), &title, r.entries, r.failing, false, row_y);
            row_y += ROW;
        }
        let rest = &stacks[named..];
        if !rest.is_empty() {
            let entries: usize = rest.iter().map(|r| r.entries).sum();
            let failing: usize = rest.iter().map(|r| r.failing).sum();
            let failing_stacks = rest.iter().filter(|r| r.failing > 0).count();
            let label = if failing_stacks > 0 {
                format!(
                    "+ {} more {} ({failing_stacks} failing)",
                    rest.len(),
                    if rest.len() == 1 { "stack" } else { "stacks" }
                )
            } else {
                format!("+ {} more {}", rest.len(), if rest.len() == 1 { "stack" } else { "stacks" })
            };
            draw(&label, &label, entries, failing, true, row_y);
        }
        y += block + GAP;
    }
    let height = y.saturating_sub(GAP) + 4;
    let _ = write!(
        page,
        "<section id=\"diagram\">\n<h2>Clusters and the stacks that target them</h2>\n\
         <p class=\"hint\">Stacks on the left, with their access entries (✗ rejected/all); clusters on the right. \
         Red: CloudFormation will reject the entries.</p>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
         role=\"img\" aria-label=\"clusters and the stacks whose access entries target them\">\n{body}</svg>\n"
    );
    let with_relations = order.iter().filter(|i| load[**i].stacks > 0).count();
    if shown.len() < with_relations {
        let _ = writeln!(
            page,
            "<p class=\"hint\">Showing {} of {with_relations} clusters that access entries target: those with the \
             most rejected, then the most entries. The table below lists every cluster.</p>",
            shown.len()
        );
    }
    page.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_and_style_stay_inside_their_cdata_sections() {
        assert!(!SCRIPT.contains("]]>") && !STYLE.contains("]]>"));
        assert!(!SCRIPT.contains("</script") && !STYLE.contains("</style"));
        assert!(!SCRIPT.contains("http") && !STYLE.contains("url("), "no requests from the page");
    }
}
