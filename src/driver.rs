//! The driver: runs the stages in order.
//!
//! Takes a [`ScanConfig`]; gives the [`Report`]. Discovery streams inputs
//! from its own thread to a worker pool that loads each one and extracts
//! its facts (and, with Guard rules, notes what Guard will need), packing
//! the facts of each batch of inputs together; the driver then groups the
//! stacks that may bear on each other and, one batch of groups at a time,
//! unpacks, correlates and runs the rules (Guard's on each template read
//! again, one at a time), sorts all batches' findings and cluster summaries
//! together, takes suppressed findings out
//! (reporting unused suppressions when asked), takes baselined findings
//! out, re-reads the files that have findings to quote their lines, and
//! counts every input once in the summary.
//!
//! Inputs given with `--deployed` go through the same discovery, loading
//! and fact extraction, but their templates become [`Facts::Deployed`]:
//! correlation only matches them to scanned stacks, Guard never sees them,
//! and the summary counts them as `deployed`, not `templates`.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::facts::packed::Packed;
use crate::facts::{self, FactOptions, Facts};
use crate::finding::{InputError, Skipped};
use crate::load::{Document, LoadOptions, Outcome};
use crate::report::held::{Items, Runs};
use crate::report::{Counts, Report, Summary};
use crate::rules::RuleSettings;
use crate::{correlate, discover, finding, load, report, rules, suppress};

/// Everything a scan needs to know.
#[derive(Debug, Clone, Default)]
pub struct ScanConfig {
    /// Files, directories or `-`.
    pub paths: Vec<String>,
    /// `describe-cluster` output given with `--context`.
    pub contexts: Vec<String>,
    /// Directories read only to correlate with (`--context-root`): their
    /// templates, ClusterConfigs and describe-cluster output inform the
    /// model, but only findings in `paths` are reported, and their skips
    /// and errors are not reported either.
    pub context_roots: Vec<String>,
    /// The name standard input goes by (`--stdin-filename`).
    pub stdin_name: Option<String>,
    /// Templates as they are deployed now, given with `--deployed`.
    pub deployed: Vec<String>,
    /// Worker threads; all cores when `None`.
    pub jobs: Option<usize>,
    /// Follow symbolic links met in directory walks (`--follow-links`).
    pub follow_links: bool,
    /// What directory walks leave out (excludes, ignore files, the baseline).
    pub filters: discover::Filters,
    pub load: LoadOptions,
    pub facts: FactOptions,
    pub rules: RuleSettings,
    /// Users' Guard rules (`--guard-rules`); templates are re-read for
    /// them only when present.
    pub guard: Option<std::sync::Arc<rules::guard::GuardRules>>,
    /// The report will be shown without source lines (JSON, JUnit, GitHub
    /// annotations): files with findings are not read again to quote them,
    /// and the list of inputs is freed once they are read.
    pub skip_source_lines: bool,
    /// The report will not list every input read ([`Report::checked`] is
    /// for JUnit): a sweep does not keep the path of each one to the end.
    pub skip_checked_list: bool,
    /// Findings recorded in a baseline are taken out after suppressions
    /// and counted as `baselined` (`--baseline`).
    pub baseline: Option<crate::baseline::Applied>,
    /// Build [`Report::relations`] (which stacks' entries target which
    /// cluster) for the Markdown and HTML reports.
    pub relations: bool,
    /// Time each stage and note the peak memory after it
    /// ([`Report::stages`], `--stats`).
    pub stats: bool,
    /// Correlate batches of related stacks of at least this many facts
    /// (default 512); the report is the same whatever it is, which tests
    /// check with batches of one group each.
    pub batch_facts: Option<usize>,
}

/// What became of one input unit after loading and fact extraction.
enum Unit {
    Analysed {
        path: std::sync::Arc<str>,
        documents: DocCounts,
        facts: Vec<Facts>,
        guard: Vec<rules::guard::Pending>,
        /// Guard's findings on templates checked as they were read (those
        /// of an input with no facts: nothing to see beside them).
        guard_found: Vec<finding::Finding>,
        /// Which of the scan's `--parameter` names the unit's templates
        /// declare (see [`Declared`]).
        declared: Declared,
    },
    Skipped(Skipped),
    Error(InputError),
}

#[derive(Default, Clone, Copy)]
struct DocCounts {
    templates: usize,
    cluster_configs: usize,
    contexts: usize,
    /// Templates given with `--deployed` (not among `templates`).
    deployed: usize,
}

/// What the workers counted of the units they did not keep (see
/// [`Folded::keep`]), and those units' templates for Guard.
#[derive(Default)]
struct Folded {
    analysed: AtomicUsize,
    templates: AtomicUsize,
    cluster_configs: AtomicUsize,
    contexts: AtomicUsize,
    deployed: AtomicUsize,
    declared: std::sync::Mutex<Declared>,
    guard: std::sync::Mutex<Vec<rules::guard::Pending>>,
    guard_found: std::sync::Mutex<Vec<finding::Finding>>,
}

impl Folded {
    /// `unit`, unless it was analysed (its facts already taken): then it is
    /// counted (and its templates kept for Guard) rather than kept whole.
    fn keep(&self, unit: Unit) -> Option<Unit> {
        let Unit::Analysed { documents, guard, guard_found, declared, .. } = &unit else { return Some(unit) };
        self.analysed.fetch_add(1, Ordering::Relaxed);
        self.templates.fetch_add(documents.templates, Ordering::Relaxed);
        self.cluster_configs.fetch_add(documents.cluster_configs, Ordering::Relaxed);
        self.contexts.fetch_add(documents.contexts, Ordering::Relaxed);
        self.deployed.fetch_add(documents.deployed, Ordering::Relaxed);
        if !declared.0.is_empty() {
            self.declared.lock().unwrap_or_else(std::sync::PoisonError::into_inner).union(declared);
        }
        if !guard.is_empty() || !guard_found.is_empty() {
            let Unit::Analysed { guard, guard_found, .. } = unit else { return None };
            // Guard's findings are sorted with the rest: the order in which
            // workers add templates here does not show.
            self.guard.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(guard);
            self.guard_found.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(guard_found);
        }
        None
    }
}

/// A set of indices into the scan's `--parameter` names (in
/// [`FactOptions::parameters`] order): those some template declares. Empty,
/// with nothing allocated, when no parameter is given.
#[derive(Default, Clone, Debug)]
struct Declared(Vec<u64>);

impl Declared {
    /// The `--parameter` names `template` declares in its `Parameters`.
    fn of(template: &load::Template, options: &FactOptions) -> Self {
        let mut set = Self::default();
        let Some(declared) = template.parameters.as_ref().and_then(|p| p.as_map()) else { return set };
        for (i, name) in options.parameters.keys().enumerate() {
            if declared.iter().any(|e| e.key == *name) {
                set.insert(i);
            }
        }
        set
    }

    fn insert(&mut self, i: usize) {
        if self.0.len() <= i / 64 {
            self.0.resize(i / 64 + 1, 0);
        }
        self.0[i / 64] |= 1 << (i % 64);
    }

    fn contains(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn union(&mut self, other: &Self) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (w, o) in self.0.iter_mut().zip(&other.0) {
            *w |= o;
        }
    }

    /// The given parameters no template declares, sorted; pseudo
    /// parameters (`AWS::Region`) are declared by CloudFormation itself.
    fn missing(&self, options: &FactOptions) -> Vec<String> {
        let names = options.parameters.keys().enumerate();
        names.filter(|(i, n)| !self.contains(*i) && !n.starts_with("AWS::")).map(|(_, n)| n.clone()).collect()
    }
}

/// What a scan tells its caller as it goes (a progress bar). Called from
/// worker threads; the default methods do nothing.
pub trait Progress: Sync {
    /// Discovery is done: `inputs` files (an archive is one) will be read.
    fn start(&self, inputs: usize) {
        let _ = inputs;
    }
    /// One input was read and analysed; it held `documents` documents.
    fn input_done(&self, documents: usize) {
        let _ = documents;
    }
}

/// No progress reporting.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Why a scan could not run at all. (An input that cannot be read is not
/// one: it is reported in [`Report::errors`] and the scan goes on.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// The worker threads could not be started.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// The command line reports every error as its one-line text.
impl From<ScanError> for String {
    fn from(e: ScanError) -> Self {
        e.to_string()
    }
}

/// Runs a whole scan and returns its report.
pub fn scan(config: &ScanConfig) -> Result<Report, ScanError> {
    scan_with(config, &NoProgress)
}

/// [`scan`], telling `progress` how it goes.
pub fn scan_with(config: &ScanConfig, progress: &dyn Progress) -> Result<Report, ScanError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.jobs.unwrap_or(0))
        .build()
        .map_err(|e| ScanError::Threads(e.to_string()))?;
    if !config.deployed.is_empty() && !config.facts.every_stack {
        // Deployed templates are matched by stack name: keep the name of
        // every scanned stack, not only of those with EKS resources.
        let mut config = config.clone();
        config.facts.every_stack = true;
        return Ok(pool.install(|| scan_in_pool(&config, progress)));
    }
    Ok(pool.install(|| scan_in_pool(config, progress)))
}

/// How far discovery may run ahead of the workers, in batches of inputs.
const STREAMED_INPUTS: usize = 16;

fn scan_in_pool(config: &ScanConfig, progress: &dyn Progress) -> Report {
    let mut stages = report::Stages::new(config.stats);
    // Discovery walks on its own thread and streams the inputs it finds to
    // the workers, so that reading starts with the first file, not after
    // the last directory.
    let (stream, found_inputs) = std::sync::mpsc::sync_channel(STREAMED_INPUTS);
    // Units are folded into counts only when nothing later needs their
    // paths: no checked list (JUnit) and no background inputs, whose
    // units are told apart by their index once the walk has ended.
    let fold = config.skip_checked_list && config.context_roots.is_empty();
    // Inputs are listed to be read again for quoted source lines and to
    // tell background inputs apart; a sweep needing neither streams them.
    let unlisted = config.skip_source_lines && config.context_roots.is_empty();
    let folded = Folded::default();
    let (found, mut chunks) = std::thread::scope(|scope| {
        let discovery = scope.spawn(move || {
            let mut found = discover::Discovery::streaming(stream);
            if unlisted {
                found = found.unlisted();
            }
            let walk = discover::DiscoverOptions {
                follow_links: config.follow_links,
                stdin_name: config.stdin_name.as_deref(),
                filters: config.filters.clone(),
            };
            discover::discover_with(&config.paths, load::Role::Scanned, &walk, &mut found);
            discover::discover_with(&config.contexts, load::Role::Context, &walk, &mut found);
            // Before the context roots, so that a deployed template under
            // one is not also read there as a scanned one.
            discover::discover_with(&config.deployed, load::Role::Deployed, &walk, &mut found);
            let background = discover::discover_background(&config.context_roots, &walk, &mut found);
            // The workers stop after the last input.
            found.end_stream();
            found.inputs.shrink_to_fit();
            progress.start(found.count());
            (found, background)
        });
        // Each batch of inputs the walk sends gives a chunk: its units,
        // tagged with the input's index (background inputs are told apart
        // by it), and their facts, taken out of the units in input order.
        // Chunks are collected as they are, not copied into one vector: a
        // sweep's facts are held once. A unit that leaves later stages
        // nothing but counts is counted where it is read and not kept, so
        // that a sweep's memory holds facts, not one record per input.
        let chunks = std::sync::Mutex::new(Vec::new());
        found_inputs.into_iter().par_bridge().for_each(|batch: Vec<(usize, load::Input)>| {
            let Some(first) = batch.first().map(|(index, _)| *index) else { return };
            let mut gathered = Gathered::new(first, fold.then_some(&folded), &chunks);
            for (index, input) in batch {
                match load::start(&input, &config.load) {
                    // Standard input is quoted whole and checked for
                    // holding anything at all: read at once.
                    load::Loading::Archive(archive) if !matches!(input.source, load::Source::Stdin) => {
                        stream_archive(&archive, index, &input, config, progress, &mut gathered);
                    }
                    loading => {
                        let loaded = match loading {
                            load::Loading::Units(units) => units,
                            load::Loading::Archive(archive) => archive.units(),
                        };
                        for unit in units_of(loaded, &input, config, progress) {
                            gathered.take(index, unit);
                        }
                    }
                }
            }
            gathered.pack(config);
        });
        let found = discovery.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (found, chunks.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
    });
    let (found, background) = found;
    // Back in input order, whatever order the workers took them in: the
    // walk sends inputs in order, in batches of consecutive indices.
    chunks.sort_unstable_by_key(|(at, _, _)| *at);
    let mut all_facts: Vec<Packed> = Vec::with_capacity(chunks.iter().map(|(_, _, f)| f.len()).sum());
    let mut units = Vec::with_capacity(chunks.iter().map(|(_, u, _)| u.len()).sum());
    for (_, u, f) in chunks {
        all_facts.extend(f);
        units.extend(u);
    }
    let mut errors: Vec<InputError> =
        found.errors.into_iter().map(|(path, e)| InputError { path, message: e.to_string() }).collect();
    let mut skipped: Vec<Skipped> = found.skipped.into_iter().map(|(path, reason)| Skipped { path, reason }).collect();
    let mut summary = Summary::default();
    let mut checked = Vec::new();
    // Units read under `--context-root` only: facts, nothing reported.
    let mut context_only = std::collections::HashSet::new();
    summary.analysed += folded.analysed.into_inner();
    summary.templates += folded.templates.into_inner();
    summary.cluster_configs += folded.cluster_configs.into_inner();
    summary.contexts += folded.contexts.into_inner();
    summary.deployed += folded.deployed.into_inner();
    let mut declared = folded.declared.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    // Moved, not copied: in a sweep every template waiting for Guard is here.
    let mut guard_inputs = folded.guard.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut guard_found = folded.guard_found.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    for (index, unit) in units {
        if let Unit::Analysed { declared: d, .. } = &unit {
            declared.union(d);
        }
        if index >= background {
            summary.context_only += 1;
            if let Unit::Analysed { path, guard, guard_found: found, .. } = unit {
                guard_inputs.extend(guard);
                guard_found.extend(found);
                context_only.insert(path);
            }
            continue;
        }
        match unit {
            Unit::Analysed { path, documents, guard, guard_found: found, .. } => {
                guard_found.extend(found);
                // Deployed templates are compared, not checked by the rules.
                if !config.skip_checked_list && documents.deployed == 0 {
                    checked.push(path);
                }
                guard_inputs.extend(guard);
                summary.analysed += 1;
                summary.templates += documents.templates;
                summary.cluster_configs += documents.cluster_configs;
                summary.contexts += documents.contexts;
                summary.deployed += documents.deployed;
            }
            Unit::Skipped(s) => skipped.push(s),
            Unit::Error(e) => errors.push(e),
        }
    }
    skipped.sort();
    checked.sort();
    checked.dedup();

    let inputs = if config.skip_source_lines {
        // Nothing will be quoted: the paths of inputs without facts can go.
        free_beside(found.inputs);
        Vec::new()
    } else {
        found.inputs
    };

    stages.end("read and extract");
    // Inline suppressions apply to every finding: they are kept apart and
    // checked on their own (EKS015).
    let mut suppressions = Vec::new();
    all_facts.retain_mut(|f| match f {
        Packed::Suppressions(s) => {
            suppressions.append(s);
            false
        }
        _ => true,
    });
    // The report's relations index the whole model: then it is built at
    // once. Otherwise each batch of related stacks is unpacked, correlated
    // and checked (by Guard too) on its own, and freed before the next, so
    // that the working form of the facts is never held for the whole sweep.
    let whole = config.relations;
    let batches = if whole {
        vec![(0..all_facts.len()).collect()]
    } else {
        correlate::batches(all_facts.len(), |i| all_facts[i].keys(), config.batch_facts.unwrap_or(BATCH_FACTS))
    };
    stages.end("group");
    // A batch's packed facts are freed as it is unpacked.
    let mut slots: Vec<Option<Packed>> = all_facts.into_iter().map(Some).collect();
    let mut whole_model = None;
    // Each batch's findings (Guard's apart) and cluster summaries are
    // sorted and held sealed, as runs, until every batch is checked; they
    // are then merged into report order a block of each run at a time, and
    // the report holds them sealed too. In their working form they would be
    // most of what a sweep holds by then.
    let (mut rule_runs, mut guard_runs) = (Runs::new(finding_order), Runs::new(finding_order));
    let (mut cluster_runs, mut unmatched) = (Runs::new(report::summary_order), Vec::new());
    let mut at_deploy = std::collections::HashSet::new();
    let mut take = |c: Checked, summary: &mut Summary| {
        let Checked { findings, guard, clusters, unmatched: mut u, at_deploy: a, cluster_count, entry_count } = c;
        if let Some(run) = findings {
            rule_runs.push(run);
        }
        if let Some(run) = guard {
            guard_runs.push(run);
        }
        if let Some(run) = clusters {
            cluster_runs.push(run);
        }
        unmatched.append(&mut u);
        at_deploy.extend(a);
        summary.clusters += cluster_count;
        summary.access_entries += entry_count;
    };
    // Guard's findings as the report shows them: of the rules selected, at
    // the severities set, in order. A Guard failure is a note on its
    // template, never an input error (the template was analysed, and is
    // counted once), and stays whatever Guard rules are selected.
    let guard_names = config.guard.as_ref().map(|g| g.names()).unwrap_or_default();
    let names: Vec<&str> = guard_names.iter().map(|(n, _)| n.as_str()).collect();
    let settle_guard = |mut found: Vec<finding::Finding>| -> Option<Items<finding::Finding>> {
        found.retain(|f| f.rule == rules::guard::NOT_CHECKED || config.rules.guard_enabled(f.rule, &names));
        for f in &mut found {
            if let Some(severity) = config.rules.guard_severity(f.rule) {
                f.severity = severity;
            }
        }
        rules::sort(&mut found);
        (!found.is_empty()).then(|| Items::sealed(&found, RUN_BLOCK))
    };
    // Each file's templates waiting for Guard, in file order, by path: a
    // batch takes those of its stacks' files, and the rest run last.
    let mut waiting: std::collections::BTreeMap<std::sync::Arc<str>, Vec<rules::guard::Pending>> =
        std::collections::BTreeMap::new();
    for p in guard_inputs {
        waiting.entry(p.shared_path().clone()).or_default().push(p);
    }
    // Batches are checked a window at a time, in parallel, each into sealed
    // runs; the runs are taken in batch order, so the report does not
    // depend on which thread checked which batch. A window holds the
    // working form of a few batches at once.
    let waiting = std::sync::Mutex::new(waiting);
    let check = |packed: Vec<Packed>| {
        let model = correlate::correlate(Packed::unpack_all(packed));
        let mut checked = Checked::of(&model, &config.rules);
        checked.guard = config.guard.as_ref().and_then(|guard| {
            // The templates whose stacks are in this batch: all the facts
            // Guard sees beside their resources are (a file's stacks share
            // a key, and so a batch).
            let here: Vec<_> = {
                let mut waiting = waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                model.stacks.iter().filter_map(|s| waiting.remove(&*s.path)).flatten().collect()
            };
            settle_guard(run_guard(guard, here, &model, config))
        });
        (checked, whole.then_some(model))
    };
    let mut gather = |checked: Vec<(Checked, Option<correlate::Model>)>| {
        for (checked, model) in checked {
            take(checked, &mut summary);
            if model.is_some() {
                whole_model = model;
            }
        }
    };
    // Each window's runs are taken while the next window is checked.
    let window = 2 * rayon::current_num_threads();
    let mut previous = Vec::new();
    for group in batches.chunks(window) {
        let packed: Vec<Vec<Packed>> =
            group.iter().map(|batch| batch.iter().filter_map(|&i| slots[i].take()).collect()).collect();
        let (checked, ()) =
            rayon::join(|| packed.into_par_iter().map(check).collect(), || gather(std::mem::take(&mut previous)));
        previous = checked;
    }
    gather(previous);
    drop(slots);
    if let Some(guard) = &config.guard {
        // Templates without facts: nothing is seen beside their resources.
        let waiting = waiting.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        let rest = waiting.into_values().flatten().collect();
        guard_found.extend(run_guard(guard, rest, &correlate::Model::default(), config));
    }
    let suppressions = correlate::Model { suppressions, ..correlate::Model::default() };
    take(Checked::of(&suppressions, &config.rules), &mut summary);
    let suppressions = suppressions.suppressions;
    // The rules' runs, then Guard's: those found as inputs were read and
    // the rest first, then each batch's (a stable sort of them one after
    // another gives this order too).
    let mut runs = rule_runs.into_runs();
    let marked = runs.len();
    runs.extend(settle_guard(guard_found));
    runs.extend(guard_runs.into_runs());
    // Findings of a cluster named at deploy anywhere say so, whichever
    // batch found them; findings in files given only for context go; the
    // suppressed are taken out.
    let mut used = suppress::unused(&suppressions);
    let mut suppressed = Vec::new();
    let mut counts = Counts::default();
    // The findings and the clusters' summaries are merged side by side.
    let (mut findings, clusters) = rayon::join(
        || {
            let mut kept = report::held::Builder::new(report::held::BLOCK);
            merge_findings(runs, marked, &at_deploy, |f| {
                if context_only.contains(&f.location.path) {
                    return;
                }
                match suppress::sort_out(f, &suppressions, &mut used) {
                    suppress::Sorted::Kept(f) => {
                        counts.add(&f);
                        kept.push(f);
                    }
                    suppress::Sorted::Suppressed(s) => suppressed.push(s),
                }
            });
            kept.finish()
        },
        || {
            let mut clusters = report::held::Builder::new(report::held::BLOCK);
            clusters.extend(Items::merge(cluster_runs.into_runs(), report::summary_order).map(|(_, c)| c));
            clusters.finish()
        },
    );
    let mut unused =
        rules::unused_suppressions(&suppressions, &used, &config.rules, &|path| context_only.contains(path));
    if !unused.is_empty() {
        rules::sort(&mut unused);
        // Counted again: the merge drops an exact repeat.
        counts = Counts::default();
        let mut all = report::held::Builder::new(report::held::BLOCK);
        merge_findings(vec![findings, Items::sealed(&unused, RUN_BLOCK)], 0, &at_deploy, |f| {
            counts.add(&f);
            all.push(f);
        });
        findings = all.finish();
    }
    if !config.skip_source_lines {
        // Block by block: a file's findings are together in report order,
        // so a file is read again about once (and once more for each other
        // block whose related places it holds).
        let files = files_by_path(&inputs);
        findings.map_blocks(|block| quote_findings(block, &files, &config.load));
    }
    unmatched.sort();
    stages.end(if config.guard.is_some() { "correlate, rules and Guard" } else { "correlate and rules" });
    errors.sort();
    summary.suppressed = suppressed.len();
    summary.skipped = skipped.len();
    summary.errors = errors.len();
    summary.inputs = summary.analysed + summary.skipped + summary.errors;
    summary.findings = counts;
    let relations = match (&whole_model, config.relations) {
        (Some(model), true) => report::relations(model),
        _ => Vec::new(),
    };
    free_beside((whole_model, inputs));
    let mut report = Report {
        version: report::REPORT_VERSION,
        summary,
        clusters,
        findings,
        suppressed,
        errors,
        skipped,
        unmatched,
        checked,
        relations,
        undeclared_parameters: declared.missing(&config.facts),
        stages: Vec::new(),
    };
    if let Some(b) = &config.baseline {
        b.baseline.apply(&mut report, &b.root);
    }
    stages.end("report");
    report.stages = stages.into_vec();
    report
}

/// Guard's findings on `templates`, whose facts are all in `model`. One
/// template at a time: files are read again here rather than kept through
/// the sweep, so Guard's memory does not grow with it.
fn run_guard(
    guard: &rules::guard::GuardRules,
    templates: Vec<rules::guard::Pending>,
    model: &correlate::Model,
    config: &ScanConfig,
) -> Vec<finding::Finding> {
    if templates.is_empty() {
        return Vec::new();
    }
    let index = rules::guard::FactIndex::new(model);
    templates
        .into_par_iter()
        .flat_map_iter(|p| {
            let text = p.to_reread().and_then(|input| load::reread(input, &config.load));
            rules::guard::check(guard, &rules::guard::prepare(&p, text), &index)
        })
        .collect()
}

/// The order of findings in a report, as [`rules::sort`] sorts them.
fn finding_order(a: &finding::Finding, b: &finding::Finding) -> std::cmp::Ordering {
    a.sort_key().cmp(&b.sort_key())
}

/// Findings held sealed in [`Items`] runs a block at a time: how many a
/// batch's sorted findings are sealed by before the merge, which holds one
/// block of each run in its working form at a time.
const RUN_BLOCK: usize = 16;

/// Merges sorted `runs` of findings into report order and gives each to
/// `out` once (an exact repeat is dropped, as [`rules::sort`] drops it).
/// The findings of the first `marked` runs (the rules') are marked named
/// at deploy when their cluster is in `at_deploy`, before they are
/// compared.
fn merge_findings(
    runs: Vec<Items<finding::Finding>>,
    marked: usize,
    at_deploy: &std::collections::HashSet<String>,
    mut out: impl FnMut(finding::Finding),
) {
    let mut last: Option<finding::Finding> = None;
    for (run, mut f) in Items::merge(runs, finding_order) {
        if run < marked {
            f.cluster_named_at_deploy = f.cluster.as_deref().is_some_and(|c| at_deploy.contains(c));
        }
        if last.as_ref() == Some(&f) {
            continue;
        }
        if let Some(previous) = last.replace(f) {
            out(previous);
        }
    }
    if let Some(previous) = last {
        out(previous);
    }
}

/// Facts unpacked and correlated together, at least: batches of related
/// stacks are made up to this size, so that each is worth a task and the
/// working form of a few of them is what a sweep holds at once.
const BATCH_FACTS: usize = 512;

/// What the rules and the report take from one correlated batch.
struct Checked {
    /// Its findings in report order, sealed as one run (none if it has none).
    findings: Option<Items<finding::Finding>>,
    /// Guard's findings on its templates, settled likewise (none without
    /// `--guard-rules`): [`Checked::of`] leaves them to the caller.
    guard: Option<Items<finding::Finding>>,
    /// Its clusters' summaries in report order, sealed likewise.
    clusters: Option<Items<report::ClusterSummary>>,
    cluster_count: usize,
    entry_count: usize,
    unmatched: Vec<correlate::Unmatched>,
    /// The names of its clusters named at deploy: findings of any batch
    /// are marked with those of all.
    at_deploy: Vec<String>,
}

impl Checked {
    fn of(model: &correlate::Model, settings: &RuleSettings) -> Self {
        // The rules give their findings sorted (`rules::evaluate`).
        let findings = rules::evaluate(model, settings);
        let mut clusters = report::cluster_summaries(model);
        rules::sort_by_index(&mut clusters, report::summary_order);
        Self {
            findings: (!findings.is_empty()).then(|| Items::sealed(&findings, RUN_BLOCK)),
            guard: None,
            clusters: (!clusters.is_empty()).then(|| Items::sealed(&clusters, RUN_BLOCK)),
            cluster_count: model.clusters.len(),
            entry_count: model.entries.len(),
            unmatched: model.unmatched.clone(),
            at_deploy: rules::named_at_deploy(model).into_iter().map(str::to_owned).collect(),
        }
    }
}

/// Frees `value` on a helper thread (inline if none can start): a sweep's
/// model and inputs are many small allocations, and freeing them need not
/// hold up the rest of the scan or the rendering.
fn free_beside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().name("eksguard-free".to_owned()).spawn(move || drop(value));
}

/// The inputs that are files, by path: those [`quote_findings`] can read
/// again.
fn files_by_path(inputs: &[load::Input]) -> std::collections::BTreeMap<&str, &load::Input> {
    inputs.iter().filter(|i| matches!(i.source, load::Source::File(_))).map(|i| (&*i.path, i)).collect()
}

/// Fills the source lines of the locations findings show, reading again
/// only the files that have findings (facts do not keep a copy of a line
/// per location; standard input and archive entries were quoted when
/// loaded, see [`load::SourceText::rereadable`]). `files`: from
/// [`files_by_path`].
fn quote_findings(
    findings: &mut [finding::Finding],
    files: &std::collections::BTreeMap<&str, &load::Input>,
    options: &LoadOptions,
) {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;
    let mut wanted: BTreeMap<Arc<str>, BTreeSet<u32>> = BTreeMap::new();
    for f in findings.iter() {
        for l in std::iter::once(&f.location).chain(f.related.iter().map(|r| &r.location)) {
            if l.source_line.is_none() && files.contains_key(&*l.path) {
                wanted.entry(l.path.clone()).or_default().insert(l.line);
            }
        }
    }
    if wanted.is_empty() {
        return;
    }
    let quoted: BTreeMap<(Arc<str>, u32), Arc<String>> = wanted
        .into_par_iter()
        .flat_map_iter(|(path, lines)| {
            let lines: Vec<u32> = lines.into_iter().collect();
            let texts = match files.get(&*path) {
                Some(input) => load::quote_lines(input, options, &lines),
                None => vec![None; lines.len()],
            };
            lines
                .into_iter()
                .zip(texts)
                .filter_map(|(line, text)| Some(((path.clone(), line), finding::quote_line(&text?))))
                .collect::<Vec<_>>()
        })
        .collect();
    for f in findings.iter_mut() {
        for l in std::iter::once(&mut f.location).chain(f.related.iter_mut().map(|r| &mut r.location)) {
            if l.source_line.is_none() {
                l.source_line = quoted.get(&(l.path.clone(), l.line)).cloned();
            }
        }
    }
}

/// Inputs' units and facts on their way to a chunk, gathered by one worker.
struct Gathered<'a> {
    /// The index of the walk batch's first input, and how many chunks it
    /// has given so far: the chunk's place in input order.
    first: usize,
    given: usize,
    units: Vec<(usize, Unit)>,
    facts: Vec<Facts>,
    /// Where units that leave nothing but counts are counted, if they are.
    folded: Option<&'a Folded>,
    chunks: &'a Chunks,
}

/// Chunks of units and packed facts, each at its place in input order.
type Chunks = std::sync::Mutex<Vec<((usize, usize), Vec<(usize, Unit)>, Vec<Packed>)>>;

impl<'a> Gathered<'a> {
    fn new(first: usize, folded: Option<&'a Folded>, chunks: &'a Chunks) -> Self {
        Self { first, given: 0, units: Vec::new(), facts: Vec::new(), folded, chunks }
    }

    /// Takes a unit of input `index`: its facts, and the unit unless it is
    /// folded into counts.
    fn take(&mut self, index: usize, mut unit: Unit) {
        if let Unit::Analysed { facts: f, .. } = &mut unit {
            self.facts.append(&mut std::mem::take(f));
        }
        if let Some(unit) = match self.folded {
            Some(folded) => folded.keep(unit),
            None => Some(unit),
        } {
            self.units.push((index, unit));
        }
    }

    /// Packs what was gathered into the next chunk.
    fn pack(&mut self, config: &ScanConfig) {
        if self.units.is_empty() && self.facts.is_empty() {
            return;
        }
        let mut units = std::mem::take(&mut self.units);
        units.shrink_to_fit();
        // Packed together once the documents are freed, so that what a
        // sweep keeps is made in one place rather than between the pages
        // of the next inputs' allocations.
        let facts = Packed::pack_all(std::mem::take(&mut self.facts), config.facts.every_stack);
        // Packed with their text: the halves only they held go.
        config.facts.pointers.forget_unused();
        let at = (self.first, self.given);
        self.given += 1;
        self.chunks.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((at, units, facts));
    }
}

/// Units of one archive packed together, at most: a walk batch holds 64
/// inputs, and an archive may hold thousands of templates.
const ARCHIVE_UNITS: usize = 64;

/// Analyses an archive's entries as a helper thread reads them, packing
/// what they give every [`ARCHIVE_UNITS`] units: an archive's documents
/// are never held all at once.
fn stream_archive(
    archive: &load::ArchiveInput,
    index: usize,
    input: &load::Input,
    config: &ScanConfig,
    progress: &dyn Progress,
    gathered: &mut Gathered<'_>,
) {
    let mut documents = 0;
    std::thread::scope(|scope| {
        // A few entries ahead: the reader recognises, this worker analyses.
        let (out, entries) = std::sync::mpsc::sync_channel(4);
        scope.spawn(move || archive.stream(&out));
        for (n, loaded) in entries.into_iter().enumerate() {
            let unit = analyse(loaded, input, &config.facts, config.guard.as_deref());
            documents += unit.documents();
            gathered.take(index, unit);
            if (n + 1) % ARCHIVE_UNITS == 0 {
                gathered.pack(config);
            }
        }
    });
    progress.input_done(documents);
}

/// The units of one input's loaded units: each analysed.
fn units_of(loaded: Vec<load::Loaded>, input: &load::Input, config: &ScanConfig, progress: &dyn Progress) -> Vec<Unit> {
    let units: Vec<Unit> =
        loaded.into_iter().map(|loaded| analyse(loaded, input, &config.facts, config.guard.as_deref())).collect();
    // Piped input that holds nothing to read is most often a command that
    // failed upstream (`eksctl create cluster --dry-run | eksguard scan -`).
    let units = match (&input.source, units.as_slice()) {
        (load::Source::Stdin, [Unit::Skipped(first), rest @ ..])
            if rest.iter().all(|u| matches!(u, Unit::Skipped(_))) =>
        {
            let message = format!(
                "standard input holds nothing eksguard reads ({}); did the command before the pipe fail?",
                first.reason
            );
            vec![Unit::Error(InputError { path: input.path.clone(), message })]
        }
        _ => units,
    };
    progress.input_done(units.iter().map(Unit::documents).sum());
    units
}

impl Unit {
    /// The documents analysed in the unit.
    fn documents(&self) -> usize {
        match self {
            Unit::Analysed { documents: d, .. } => d.templates + d.cluster_configs + d.contexts + d.deployed,
            _ => 0,
        }
    }
}

fn analyse(
    loaded: load::Loaded,
    input: &load::Input,
    options: &FactOptions,
    guard_rules: Option<&rules::guard::GuardRules>,
) -> Unit {
    let for_guard = guard_rules.is_some();
    let context_only = input.role == load::Role::Context;
    if input.role == load::Role::Deployed {
        return analyse_deployed(loaded, input, options);
    }
    let path = loaded.path;
    match loaded.outcome {
        Outcome::Skipped(reason) if context_only => {
            Unit::Error(InputError { path, message: format!("not describe-cluster output: {reason}") })
        }
        Outcome::Skipped(reason) => Unit::Skipped(Skipped { path, reason }),
        Outcome::Error(e) => Unit::Error(InputError { path, message: e.to_string() }),
        Outcome::Documents(docs) => {
            if context_only && docs.iter().any(|d| !matches!(d, Document::Context(_))) {
                return Unit::Error(InputError {
                    path,
                    message: "given with --context but not `aws eks describe-cluster` output".to_owned(),
                });
            }
            let mut documents = DocCounts::default();
            // Sized to fit: a sweep keeps one of these per input.
            let mut facts = Vec::with_capacity(docs.len());
            let mut guard = Vec::with_capacity(if for_guard { docs.len() } else { 0 });
            let mut declared = Declared::default();
            for doc in &docs {
                if let Document::Template(t) = doc {
                    if for_guard {
                        guard.push(rules::guard::pending(t, input));
                    }
                    if !options.parameters.is_empty() {
                        declared.union(&Declared::of(t, options));
                    }
                }
                match doc {
                    Document::Template(_) => documents.templates += 1,
                    Document::ClusterConfig(_) => documents.cluster_configs += 1,
                    Document::Context(_) => documents.contexts += 1,
                }
                facts.extend(facts::extract(doc, options));
            }
            // With no stack facts, Guard would see nothing beside the
            // templates' resources: they are checked now, from the text in
            // hand, rather than read again after the sweep.
            let mut guard_found = Vec::new();
            let stacks = facts.iter().any(|f| matches!(f, Facts::Stack(_) | Facts::Deployed(_)));
            if let (Some(rules), false) = (guard_rules, stacks) {
                for doc in &docs {
                    if let Document::Template(t) = doc {
                        guard_found.extend(rules::guard::check_now(rules, t));
                    }
                }
                guard = Vec::new();
            }
            Unit::Analysed { path, documents, facts, guard, guard_found, declared }
        }
    }
}

/// A unit of an input given with `--deployed`: its templates' facts, kept
/// apart as [`Facts::Deployed`] and counted as `deployed`, not `templates`.
/// A ClusterConfig or `describe-cluster` output named as `--deployed` on
/// the command line is an error; one met in a directory walk or an archive
/// (a cloud assembly holds manifests beside its templates) is skipped.
fn analyse_deployed(loaded: load::Loaded, input: &load::Input, options: &FactOptions) -> Unit {
    let path = loaded.path;
    let docs = match loaded.outcome {
        Outcome::Skipped(reason) => return Unit::Skipped(Skipped { path, reason }),
        Outcome::Error(e) => return Unit::Error(InputError { path, message: e.to_string() }),
        Outcome::Documents(docs) => docs,
    };
    let mut facts = Vec::with_capacity(docs.len());
    let mut declared = Declared::default();
    for doc in &docs {
        if let (Document::Template(t), false) = (doc, options.parameters.is_empty()) {
            declared.union(&Declared::of(t, options));
        }
        match facts::extract_deployed(doc, options) {
            Some(stack) => facts.push(Facts::Deployed(Box::new(stack))),
            None if input.explicit && path == input.path => {
                return Unit::Error(InputError {
                    path,
                    message: "given with --deployed but not a CloudFormation template or get-template output"
                        .to_owned(),
                });
            }
            None => {}
        }
    }
    if facts.is_empty() {
        let reason = "not a CloudFormation template (read as --deployed)".to_owned();
        return Unit::Skipped(Skipped { path, reason });
    }
    let documents = DocCounts { deployed: facts.len(), ..DocCounts::default() };
    Unit::Analysed { path, documents, facts, guard: Vec::new(), guard_found: Vec::new(), declared }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::finding::Finding;

    fn finding(path: &str, line: u32, cluster: &str) -> Finding {
        Finding::sample(path, line, cluster)
    }

    /// The merge drops exact repeats across runs, as a sort of them all
    /// does, and marks the findings of the rules' runs alone.
    #[test]
    fn merged_findings_are_in_order_once_and_marked() {
        let rules_a = vec![finding("a.yaml", 1, "x"), finding("c.yaml", 1, "y")];
        let rules_b = vec![finding("a.yaml", 1, "x"), finding("b.yaml", 1, "y")];
        let guard = vec![finding("b.yaml", 2, "y")];
        let runs = [rules_a, rules_b, guard].iter().map(|r| Items::sealed(r, 1)).collect();
        let at_deploy: HashSet<String> = ["y".to_owned()].into();
        let mut out = Vec::new();
        merge_findings(runs, 2, &at_deploy, |f| out.push(f));
        let seen: Vec<(&str, u32, bool)> =
            out.iter().map(|f| (&*f.location.path, f.location.line, f.cluster_named_at_deploy)).collect();
        assert_eq!(seen, [("a.yaml", 1, false), ("b.yaml", 1, true), ("b.yaml", 2, false), ("c.yaml", 1, true)]);
    }
}
