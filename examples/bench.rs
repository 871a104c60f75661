//! The sweep benchmark: eksguard against the floor, and against cfn-guard.
//!
//! ```text
//! cargo build --release && cargo run --release --example bench -- [OPTIONS]
//!   --templates N[,N...]   corpus sizes (default 20000,100000)
//!   --rounds R             rounds, tools interleaved in each (default 5)
//!   --seed S               corpus seed (default 1)
//!   --dir DIR              where corpora are kept (default target/bench)
//!   --cfn-guard-max N      skip cfn-guard above N templates (default 20000;
//!                          it holds every file in memory)
//!   --guard-rules FILE     also time `eksguard scan --guard-rules FILE`
//!   --large-list           instead: peak memory on single templates sized
//!                          to the file limit whose one list is huge
//!   --retained             instead: bytes kept per template, cluster,
//!                          access entry and finding (largest --templates)
//! ```
//!
//! For each size it generates (once, then reuses) a corpus with
//! `examples/support/corpus.rs`, warms the page cache, then runs every
//! tool once per round, in turn, each in its own process under
//! `/usr/bin/time` for its peak RSS:
//!
//! - `cat`: `find | xargs cat > /dev/null`, reading every byte once;
//! - `read`: every file read into memory with rayon (the I/O floor);
//! - `floor`: every file read and parsed into a `serde_json::Value` with
//!   rayon on the same cores: JSON with `serde_json::from_slice`, YAML with
//!   `saphyr-parser` events built into a `serde_json::Value` (the same
//!   parser eksguard uses; short-form tags become `{"Fn::X": ...}`);
//! - `eksguard`: the release binary, default rules, `--format json --output FILE`;
//! - `cfn-guard`: `cfn-guard validate` with one rule (when on PATH).
//!
//! After every eksguard run the report is checked: every file accounted
//! for, exactly the EKS001 findings and the errors the generator planted.
//! The run fails (exit 1) when it is not. The table gives each tool's
//! median, fastest and slowest round and its highest peak RSS; the ratio
//! to the floor is printed of the medians and of the fastest rounds (on a
//! shared machine, the round least slowed by others), and with two sizes
//! or more, how eksguard's peak RSS grows from the smallest to the largest.
//! After the rounds, each eksguard
//! command runs once more with `--stats`, untimed, and its stages are
//! printed: time and peak RSS after reading, correlating, the rules, the
//! report and rendering, so that memory growth shows where it happens.
//!
//! `--retained` measures what a sweep keeps per template, cluster, access
//! entry and finding (see [`retained`]).
//!
//! `--large-list` measures what the shape of one file costs: templates just
//! under the 64 MiB file limit whose single list holds millions of items,
//! in an access entry (JSON and YAML: too large to analyse, an input
//! error) and in an S3 bucket (read past). Each is scanned alone; the
//! table gives peak RSS against the file's size, and each report is
//! checked for the outcome the README promises.

#[path = "support/corpus.rs"]
mod corpus;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use rayon::prelude::*;
use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value};

/// The cfn-guard rule: the closest a single-template rule can get to
/// EKS001 (cfn-guard cannot correlate stacks).
const GUARD_RULE: &str = r#"let eks_clusters = Resources.*[ Type == 'AWS::EKS::Cluster' ]

rule eks_cluster_accepts_access_entries when %eks_clusters !empty {
    %eks_clusters.Properties.AccessConfig.AuthenticationMode in ["API", "API_AND_CONFIG_MAP"]
}
"#;

struct Options {
    sizes: Vec<usize>,
    rounds: usize,
    seed: u64,
    dir: PathBuf,
    cfn_guard_max: usize,
    guard_rules: Option<PathBuf>,
    large_list: bool,
    retained: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Child modes: the floors, run as separate processes.
    match args.first().map(String::as_str) {
        Some("--read-all") => return child(&args[1..], false),
        Some("--parse-all") => return child(&args[1..], true),
        _ => {}
    }
    let options = match parse_options(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::from(2);
        }
    };
    let result = if options.large_list {
        large_list(&options)
    } else if options.retained {
        retained(&options)
    } else {
        run(&options)
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::from(2)
        }
    }
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        sizes: vec![20_000, 100_000],
        rounds: 5,
        seed: 1,
        dir: PathBuf::from("target/bench"),
        cfn_guard_max: 20_000,
        guard_rules: None,
        large_list: false,
        retained: false,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--large-list" {
            o.large_list = true;
            continue;
        }
        if flag == "--retained" {
            o.retained = true;
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<usize>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--templates" => o.sizes = value.split(',').map(num).collect::<Result<_, _>>()?,
            "--rounds" => o.rounds = num(value)?.max(1),
            "--seed" => o.seed = num(value)? as u64,
            "--dir" => o.dir = PathBuf::from(value),
            "--cfn-guard-max" => o.cfn_guard_max = num(value)?,
            "--guard-rules" => o.guard_rules = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(o)
}

struct Tool {
    name: &'static str,
    argv: Vec<String>,
    /// Checks eksguard's report after each run.
    report: Option<PathBuf>,
}

#[derive(Default)]
struct Runs {
    wall: Vec<f64>,
    rss_kib: Vec<u64>,
}

fn run(o: &Options) -> Result<bool, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let eksguard = eksguard_binary()?;
    let time = Path::new("/usr/bin/time").exists();
    let cfn_guard = which("cfn-guard");
    println!("machine: {} cores, {}", cores(), load());
    println!("eksguard: {}", eksguard.display());
    match &cfn_guard {
        Some(p) => println!("cfn-guard: {} ({})", p.display(), version(p)),
        None => println!("cfn-guard: not on PATH (install with `cargo install cfn-guard --locked`); not timed"),
    }
    if !time {
        println!("/usr/bin/time not found: peak RSS not measured");
    }
    let mut all_ok = true;
    // eksguard's peak RSS at each size, the highest and the median of the
    // rounds: how it grows with the corpus.
    let mut peaks: Vec<(usize, f64, f64)> = Vec::new();
    for &n in &o.sizes {
        let root = o.dir.join(format!("corpus-{n}-seed{}", o.seed));
        let templates = root.join("templates");
        let planted = ensure_corpus(&root, &templates, n, o.seed)?;
        let mb = planted.bytes as f64 / 1e6;
        println!(
            "\n== {n} templates: {:.1} MB ({:.1} KB average), {} JSON / {} YAML, {} eksctl stacks, {} clusters, \
             {} access entries; planted {} EKS001 findings, {} malformed files",
            mb,
            planted.bytes as f64 / 1e3 / planted.files as f64,
            planted.json_files,
            planted.yaml_files,
            planted.eksctl_files,
            planted.clusters,
            planted.access_entries,
            planted.eks001,
            planted.malformed
        );
        let dir = templates.to_string_lossy().into_owned();
        let report = root.join("report.json");
        let exe_s = exe.to_string_lossy().into_owned();
        let mut tools = vec![
            Tool {
                name: "cat",
                argv: vec![
                    "sh".into(),
                    "-c".into(),
                    format!("find '{dir}' -type f -print0 | xargs -0 cat > /dev/null"),
                ],
                report: None,
            },
            Tool { name: "read (rayon)", argv: vec![exe_s.clone(), "--read-all".into(), dir.clone()], report: None },
            Tool { name: "floor: parse", argv: vec![exe_s.clone(), "--parse-all".into(), dir.clone()], report: None },
            Tool {
                name: "eksguard",
                argv: vec![
                    eksguard.to_string_lossy().into_owned(),
                    "scan".into(),
                    "--format".into(),
                    "json".into(),
                    "--output".into(),
                    report.to_string_lossy().into_owned(),
                    dir.clone(),
                ],
                report: Some(report.clone()),
            },
        ];
        if let Some(rules) = &o.guard_rules {
            tools.push(Tool {
                name: "eksguard --guard-rules",
                argv: vec![
                    eksguard.to_string_lossy().into_owned(),
                    "scan".into(),
                    "--guard-rules".into(),
                    rules.to_string_lossy().into_owned(),
                    "--format".into(),
                    "json".into(),
                    "--output".into(),
                    root.join("report-guard.json").to_string_lossy().into_owned(),
                    dir.clone(),
                ],
                report: Some(root.join("report-guard.json")),
            });
        }
        match &cfn_guard {
            Some(p) if n <= o.cfn_guard_max => {
                let rule = root.join("eks.guard");
                fs::write(&rule, GUARD_RULE).map_err(|e| e.to_string())?;
                let mut argv = vec![p.to_string_lossy().into_owned(), "validate".into()];
                // cfn-guard stops at the first file it cannot parse: give it
                // every directory but the malformed files'.
                let mut dirs: Vec<_> = fs::read_dir(&templates)
                    .map_err(|e| e.to_string())?
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name() != corpus::MALFORMED_DIR)
                    .map(|e| e.path().to_string_lossy().into_owned())
                    .collect();
                dirs.sort();
                for d in dirs {
                    argv.extend(["--data".into(), d]);
                }
                argv.extend(["--rules".into(), rule.to_string_lossy().into_owned()]);
                argv.extend(["--show-summary".into(), "none".into()]);
                tools.push(Tool { name: "cfn-guard", argv, report: None });
                println!("cfn-guard: given every file but the {} malformed ones", planted.malformed);
            }
            Some(_) => println!("cfn-guard: skipped above {} templates (--cfn-guard-max)", o.cfn_guard_max),
            None => {}
        }
        // Warm the page cache so that every tool reads from memory.
        run_once(&tools[0].argv, false)?;
        let mut runs: Vec<Runs> = tools.iter().map(|_| Runs::default()).collect();
        for round in 0..o.rounds {
            for (tool, runs) in tools.iter().zip(&mut runs) {
                let (wall, rss) = run_once(&tool.argv, time)?;
                runs.wall.push(wall);
                runs.rss_kib.extend(rss);
                if let Some(report) = &tool.report {
                    if let Err(e) = check_report(report, &planted) {
                        println!("CHECK FAILED ({}, round {}): {e}", tool.name, round + 1);
                        all_ok = false;
                    }
                }
            }
            eprint!("round {}/{} done\r", round + 1, o.rounds);
        }
        eprintln!();
        print_table(&tools, &runs, planted.files, mb);
        if let Some(r) = tools.iter().zip(&runs).find(|(t, _)| t.name == "eksguard").map(|(_, r)| r) {
            let kib: Vec<f64> = r.rss_kib.iter().map(|k| *k as f64).collect();
            if !kib.is_empty() {
                peaks.push((n, kib.iter().copied().fold(0.0, f64::max), median(&kib)));
            }
        }
        // One more run of each eksguard command with `--stats`, untimed
        // above: where its time and memory go, stage by stage.
        for tool in tools.iter().filter(|t| t.name.starts_with("eksguard")) {
            println!("{}, by stage (one more run, --stats):", tool.name);
            print!("{}", stages(&tool.argv)?);
        }
        if all_ok {
            println!(
                "check: every eksguard report accounts for {} files, {} EKS001 findings, {} errors: as planted",
                planted.files, planted.eks001, planted.malformed
            );
        }
    }
    if let (Some(small), Some(large)) = (peaks.iter().min_by_key(|p| p.0), peaks.iter().max_by_key(|p| p.0)) {
        if large.0 > small.0 {
            println!(
                "\neksguard peak RSS, {} / {} templates = {:.2} (highest of the rounds), {:.2} (medians) (target <= 1.5)",
                large.0,
                small.0,
                large.1 / small.1,
                large.2 / small.2
            );
        }
    }
    println!("\n{}", load());
    Ok(all_ok)
}

// ---------------------------------------------------------- large list --

/// The file-size limit eksguard applies by default (`--max-file-size`).
const FILE_LIMIT: usize = 64 * 1024 * 1024;

/// One `--large-list` case: a template and the outcome its report must show.
struct LargeCase {
    name: &'static str,
    file: PathBuf,
    /// The input error expected (a substring), or none: analysed cleanly.
    error: Option<&'static str>,
}

/// A JSON template whose `resource` (of `kind`) holds one list of `items`
/// one-letter strings under `property`; 4 bytes an item.
fn json_list_template(kind: &str, property: &str, items: usize) -> String {
    let head = format!(
        "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {{\"Big\": {{\"Type\": \"{kind}\", \
         \"Properties\": {{\"ClusterName\": \"c\", \"PrincipalArn\": \"arn:aws:iam::111122223333:role/r\", \
         \"Type\": \"STANDARD\", \"BucketName\": \"b\", \"{property}\": ["
    );
    let mut text = String::with_capacity(head.len() + items * 4 + 16);
    text.push_str(&head);
    text.push_str(&"\"g\",".repeat(items.saturating_sub(1)));
    text.push_str("\"g\"]}}}}\n");
    text
}

/// The YAML twin: a block sequence, 12 bytes an item.
fn yaml_list_template(items: usize) -> String {
    let head = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Big:\n    Type: AWS::EKS::AccessEntry\n    \
                Properties:\n      ClusterName: c\n      PrincipalArn: arn:aws:iam::111122223333:role/r\n      \
                KubernetesGroups:\n";
    let mut text = String::with_capacity(head.len() + items * 10);
    text.push_str(head);
    text.push_str(&"        - g\n".repeat(items));
    text
}

fn large_list(o: &Options) -> Result<bool, String> {
    let eksguard = eksguard_binary()?;
    if !Path::new("/usr/bin/time").exists() {
        return Err("/usr/bin/time not found: --large-list measures peak RSS with it".into());
    }
    let root = o.dir.join("large-list");
    fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    // Just under the limit, leaving room for the template around the list.
    let json_items = (FILE_LIMIT - 4096) / 4;
    let yaml_items = (FILE_LIMIT - 4096) / 12;
    let texts = [
        (
            "access entry, JSON",
            "eks-list.json",
            json_list_template("AWS::EKS::AccessEntry", "KubernetesGroups", json_items),
            Some("too large to analyse"),
        ),
        ("access entry, YAML", "eks-list.yaml", yaml_list_template(yaml_items), Some("too large to analyse")),
        ("S3 bucket, JSON", "s3-list.json", json_list_template("AWS::S3::Bucket", "Tags", json_items), None),
    ];
    let mut cases = Vec::new();
    for (name, file, text, error) in texts {
        let path = root.join(file);
        if fs::metadata(&path).map(|m| m.len() as usize).ok() != Some(text.len()) {
            fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        cases.push(LargeCase { name, file: path, error });
    }
    println!("machine: {} cores, {}", cores(), load());
    println!("eksguard: {}", eksguard.display());
    println!(
        "\n{:<22} {:>9} {:>9} {:>13} {:>14}  outcome",
        "template", "file MiB", "median s", "peak RSS MiB", "RSS / file"
    );
    let mut all_ok = true;
    for case in &cases {
        let report = root.join("report.json");
        let argv = vec![
            eksguard.to_string_lossy().into_owned(),
            "scan".into(),
            "--format".into(),
            "json".into(),
            "--output".into(),
            report.to_string_lossy().into_owned(),
            case.file.to_string_lossy().into_owned(),
        ];
        let mut wall = Vec::new();
        let mut rss = Vec::new();
        let mut outcome = String::new();
        for _ in 0..o.rounds {
            let (w, r) = run_once(&argv, true)?;
            wall.push(w);
            rss.extend(r);
            outcome = match check_large(&report, case.error) {
                Ok(said) => said,
                Err(e) => {
                    all_ok = false;
                    format!("CHECK FAILED: {e}")
                }
            };
        }
        let file_mib = fs::metadata(&case.file).map_or(0.0, |m| m.len() as f64 / 1024.0 / 1024.0);
        let peak = rss.iter().max().map_or(f64::NAN, |k| *k as f64 / 1024.0);
        println!(
            "{:<22} {:>9.1} {:>9.3} {:>13.1} {:>14.2}  {}",
            case.name,
            file_mib,
            median(&wall),
            peak,
            peak / file_mib,
            outcome
        );
    }
    println!("\n{}", load());
    Ok(all_ok)
}

/// Checks a `--large-list` report: one input, and either the expected
/// input error or none. Gives what the report said.
fn check_large(path: &Path, error: Option<&str>) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|e| format!("no report: {e}"))?;
    let report: Value = serde_json::from_slice(&bytes).map_err(|e| format!("report is not JSON: {e}"))?;
    let _ = fs::remove_file(path);
    let inputs = report.pointer("/summary/inputs").and_then(Value::as_u64).unwrap_or(0);
    let errors: Vec<String> = report
        .get("errors")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|e| e.get("message").and_then(Value::as_str)).map(str::to_owned).collect())
        .unwrap_or_default();
    if inputs != 1 {
        return Err(format!("{inputs} inputs counted for one file"));
    }
    match (error, errors.as_slice()) {
        (None, []) => Ok("analysed".into()),
        (Some(want), [said]) if said.contains(want) => Ok(format!("input error: {said}")),
        (want, said) => Err(format!("expected {want:?}, report says {said:?}")),
    }
}

fn ensure_corpus(root: &Path, templates: &Path, n: usize, seed: u64) -> Result<corpus::Written, String> {
    let manifest = root.join("planted.json");
    if let Some(w) = fs::read(&manifest)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| corpus::Written::from_json(&v))
    {
        return Ok(w);
    }
    let _ = fs::remove_dir_all(root);
    eprintln!("generating {n} templates into {} ...", templates.display());
    // A few malformed files (one in a thousand) must be reported, not fatal.
    let spec = corpus::Spec { templates: n, seed, malformed: n / 1000 };
    let written = corpus::generate(templates, &spec).map_err(|e| format!("cannot generate: {e}"))?;
    fs::write(&manifest, written.to_json().to_string()).map_err(|e| e.to_string())?;
    Ok(written)
}

fn check_report(path: &Path, planted: &corpus::Written) -> Result<(), String> {
    let bytes = fs::read(path).map_err(|e| format!("no report: {e}"))?;
    let report: Value = serde_json::from_slice(&bytes).map_err(|e| format!("report is not JSON: {e}"))?;
    let inputs = report.pointer("/summary/inputs").and_then(Value::as_u64).unwrap_or(0) as usize;
    let errors = report.get("errors").and_then(Value::as_array).map_or(0, Vec::len);
    let eks001 = report
        .get("findings")
        .and_then(Value::as_array)
        .map_or(0, |f| f.iter().filter(|f| f.get("rule").and_then(Value::as_str) == Some("EKS001")).count());
    let _ = fs::remove_file(path);
    if (inputs, eks001, errors) != (planted.files, planted.eks001, planted.malformed) {
        return Err(format!(
            "inputs {inputs} (planted {}), EKS001 {eks001} (planted {}), errors {errors} (planted {})",
            planted.files, planted.eks001, planted.malformed
        ));
    }
    Ok(())
}

/// `--retained`: what a sweep keeps per template, access entry, cluster and
/// finding, from peak RSS. The largest `--templates` corpus is split by
/// what the stacks hold (no EKS resource; a cluster; access entries and no
/// cluster), each kind linked into a directory of half and of all
/// its files; eksguard scans each, and the growth of peak RSS between half
/// and all, divided by the growth in files, clusters or access entries, is
/// what each one costs to keep. Findings: the access entry stacks scanned
/// again with only EKS016 selected (no findings), the difference divided
/// by the findings. Each scan runs `--rounds` times; its peak RSS is the
/// median.
fn retained(o: &Options) -> Result<bool, String> {
    if !Path::new("/usr/bin/time").exists() {
        return Err("/usr/bin/time not found: --retained measures peak RSS with it".into());
    }
    let eksguard = eksguard_binary()?;
    let n = o.sizes.iter().copied().max().unwrap_or(100_000);
    let root = o.dir.join(format!("corpus-{n}-seed{}", o.seed));
    let templates = root.join("templates");
    ensure_corpus(&root, &templates, n, o.seed)?;
    let mut kinds: [(&str, Vec<PathBuf>); 3] =
        [("no EKS resource", Vec::new()), ("a cluster", Vec::new()), ("access entries", Vec::new())];
    for entry in walkdir::WalkDir::new(&templates).sort_by_file_name().into_iter().filter_map(Result::ok) {
        if !entry.file_type().is_file() || entry.path().components().any(|c| c.as_os_str() == corpus::MALFORMED_DIR) {
            continue;
        }
        let text = fs::read(entry.path()).map_err(|e| e.to_string())?;
        let has = |what: &[u8]| text.windows(what.len()).any(|w| w == what);
        let kind = if has(b"AWS::EKS::Cluster") {
            1
        } else if has(b"AWS::EKS::AccessEntry") {
            2
        } else if has(b"AWS::EKS::") {
            // Managed nodegroups and the like: none of the three kinds.
            continue;
        } else {
            0
        };
        kinds[kind].1.push(entry.into_path());
    }
    println!("machine: {} cores, {}", cores(), load());
    println!(
        "corpus: {n} templates; each kind scanned at half and all of its files, peak RSS the median of {} runs\n",
        o.rounds.max(1)
    );
    println!(
        "{:<18} {:>7} {:>9} {:>9} {:>9} {:>13}",
        "kind", "files", "clusters", "entries", "findings", "peak RSS MiB"
    );
    let scan = |dir: &Path, extra: &[&str]| -> Result<(f64, [u64; 3]), String> {
        let report = root.join("retained-report.json");
        let mut argv = vec![eksguard.to_string_lossy().into_owned(), "scan".into(), "-q".into()];
        argv.extend(extra.iter().map(|s| (*s).to_owned()));
        argv.extend(["--format".into(), "json".into(), "--output".into(), report.to_string_lossy().into_owned()]);
        argv.push(dir.to_string_lossy().into_owned());
        // Peak RSS moves by a few MiB from run to run (the allocator's
        // pages): the median of the rounds.
        let mut peaks = Vec::new();
        for _ in 0..o.rounds.max(1) {
            peaks.push(run_once(&argv, true)?.1.unwrap_or(0) as f64);
        }
        let rss = median(&peaks);
        let value: Value = serde_json::from_slice(&fs::read(&report).map_err(|e| format!("no report: {e}"))?)
            .map_err(|e| format!("report is not JSON: {e}"))?;
        let count = |p: &str| value.pointer(p).and_then(Value::as_u64).unwrap_or(0);
        let findings = value.get("findings").and_then(Value::as_array).map_or(0, |f| f.len() as u64);
        let counts = [count("/summary/clusters"), count("/summary/access_entries"), findings];
        Ok((rss * 1024.0, counts))
    };
    let mut per_template = [0.0_f64; 3];
    let mut measured = Vec::new();
    for (k, (kind, files)) in kinds.iter().enumerate() {
        let mut points = Vec::new();
        for count in [files.len() / 2, files.len()] {
            let dir = root.join("retained").join(format!("{}-{count}", kind.replace(' ', "-")));
            if !dir.is_dir() {
                fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                for (i, f) in files[..count].iter().enumerate() {
                    let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    fs::hard_link(f, dir.join(format!("{i:06}-{name}"))).map_err(|e| e.to_string())?;
                }
            }
            let (rss, counts) = scan(&dir, &[])?;
            println!(
                "{:<18} {:>7} {:>9} {:>9} {:>9} {:>13.1}",
                kind,
                count,
                counts[0],
                counts[1],
                counts[2],
                rss / 1_048_576.0
            );
            points.push(Point { files: count as f64, rss, counts, dir });
        }
        let all = points.pop().ok_or("no scan")?;
        let half = points.pop().ok_or("no scan")?;
        per_template[k] = (all.rss - half.rss) / (all.files - half.files);
        measured.push((half, all));
    }
    println!();
    println!("bytes of peak RSS per template kept, by kind (growth from half to all):");
    for (k, (kind, _)) in kinds.iter().enumerate() {
        println!("  {kind:<18} {:>8.0} B", per_template[k]);
    }
    // A finding: the access entry stacks (no cluster among them, so one
    // EKS002 per entry) against the same scan with no rule that fires.
    let all = &measured[2].1;
    let (quiet_rss, quiet) = scan(&all.dir, &["--select", "EKS016"])?;
    let findings = all.counts[2].saturating_sub(quiet[2]);
    let finding = if findings > 0 { (all.rss - quiet_rss) / findings as f64 } else { 0.0 };
    // Beyond what any template costs (its input, path and counts) and what
    // its findings cost.
    let beyond = |(half, all): &(Point, Point), what: usize| {
        let findings = (all.counts[2] - half.counts[2]) as f64;
        let grown = all.rss - half.rss - per_template[0] * (all.files - half.files) - finding * findings;
        grown / (all.counts[what] - half.counts[what]).max(1) as f64
    };
    println!("  per finding ({findings} findings against none, same facts): {finding:>8.0} B");
    println!("  per cluster (beyond any template's cost): {:>8.0} B", beyond(&measured[1], 0));
    println!("  per access entry (beyond any template's cost and its finding): {:>8.0} B", beyond(&measured[2], 1));
    Ok(true)
}

/// One `--retained` scan: files given, peak RSS in bytes, the report's
/// clusters, access entries and findings, and the directory scanned.
struct Point {
    files: f64,
    rss: f64,
    counts: [u64; 3],
    dir: PathBuf,
}

/// The release `eksguard` binary beside this benchmark.
fn eksguard_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/release/examples/bench -> target/release/eksguard
    let eksguard = exe.parent().and_then(Path::parent).map(|d| d.join("eksguard")).ok_or("no target dir")?;
    if !eksguard.exists() {
        return Err(format!("{} not found: run `cargo build --release` first", eksguard.display()));
    }
    Ok(eksguard)
}

/// Runs `argv` once; gives wall seconds and, under /usr/bin/time, peak RSS
/// in KiB. Exit codes are not errors (eksguard exits 1 or 2 on findings).
/// What `eksguard ... --stats` prints on stderr, its first line aside.
fn stages(argv: &[String]) -> Result<String, String> {
    let output = Command::new(&argv[0])
        .args(&argv[1..])
        .args(["--stats", "--quiet"])
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", argv[0]))?;
    let text = String::from_utf8_lossy(&output.stderr);
    Ok(text.lines().skip_while(|l| !l.starts_with("eksguard: stats")).skip(1).map(|l| format!("{l}\n")).collect())
}

fn run_once(argv: &[String], time: bool) -> Result<(f64, Option<u64>), String> {
    let rss_file = std::env::temp_dir().join(format!("eksguard-bench-rss-{}", std::process::id()));
    let mut cmd = if time {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).args(argv);
        c
    } else {
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..]);
        c
    };
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let start = Instant::now();
    let status = cmd.status().map_err(|e| format!("cannot run {}: {e}", argv[0]))?;
    let wall = start.elapsed().as_secs_f64();
    let _ = status;
    let rss = if time {
        let text = fs::read_to_string(&rss_file).unwrap_or_default();
        let _ = fs::remove_file(&rss_file);
        text.lines().filter_map(|l| l.trim().parse::<u64>().ok()).next_back()
    } else {
        None
    };
    Ok((wall, rss))
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

fn print_table(tools: &[Tool], runs: &[Runs], files: usize, mb: f64) {
    println!(
        "{:<24} {:>9} {:>9} {:>9} {:>11} {:>9} {:>12}",
        "tool", "median s", "min s", "max s", "files/s", "MB/s", "peak RSS MiB"
    );
    let (mut medians, mut fastest) = (Vec::new(), Vec::new());
    for (tool, r) in tools.iter().zip(runs) {
        let m = median(&r.wall);
        medians.push((tool.name, m));
        let min = r.wall.iter().copied().fold(f64::INFINITY, f64::min);
        fastest.push((tool.name, min));
        let max = r.wall.iter().copied().fold(0.0, f64::max);
        let rss = r.rss_kib.iter().max().map_or("n/a".to_owned(), |k| format!("{:.1}", *k as f64 / 1024.0));
        println!(
            "{:<24} {:>9.3} {:>9.3} {:>9.3} {:>11.0} {:>9.1} {:>12}",
            tool.name,
            m,
            min,
            max,
            files as f64 / m,
            mb / m,
            rss
        );
    }
    let get = |name: &str| medians.iter().find(|(n, _)| *n == name).map(|(_, m)| *m);
    if let (Some(e), Some(f)) = (get("eksguard"), get("floor: parse")) {
        println!("ratio eksguard / floor = {:.2} (target <= 0.8; next <= 0.6)", e / f);
    }
    // On a shared machine a round can be slowed by others: the fastest
    // rounds are each tool's cost with the least of that in it.
    let least = |name: &str| fastest.iter().find(|(n, _)| *n == name).map(|(_, m)| *m);
    if let (Some(e), Some(f)) = (least("eksguard"), least("floor: parse")) {
        println!("ratio of the fastest rounds, eksguard / floor = {:.2}", e / f);
    }
    if let (Some(c), Some(e)) = (get("cfn-guard"), get("eksguard")) {
        println!("ratio cfn-guard / eksguard = {:.1} (target >= 20)", c / e);
    }
    if let (Some(g), Some(e)) = (get("eksguard --guard-rules"), get("eksguard")) {
        println!("--guard-rules costs {:.1} µs per template over the default path", (g - e) / files as f64 * 1e6);
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.is_file())
}

fn version(path: &Path) -> String {
    Command::new(path)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn load() -> String {
    let avg = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let fields: Vec<&str> = avg.split_whitespace().take(3).collect();
    format!("load average: {}", fields.join(", "))
}

// -------------------------------------------------------------- floors --

/// `--read-all DIR` / `--parse-all DIR`: the floors, in their own process.
fn child(args: &[String], parse: bool) -> ExitCode {
    let Some(dir) = args.first() else { return ExitCode::from(2) };
    // The same discovery eksguard makes: a sorted walk of regular files.
    let files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect();
    let (ok, bad) = files
        .par_iter()
        .map(|path| {
            let Ok(bytes) = fs::read(path) else { return (0, 1) };
            if !parse {
                return (usize::from(!bytes.is_empty()), 0);
            }
            let parsed = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{' | b'[') => serde_json::from_slice::<Value>(&bytes).is_ok(),
                _ => std::str::from_utf8(&bytes).ok().and_then(yaml_to_value).is_some(),
            };
            if parsed { (1, 0) } else { (0, 1) }
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!("{ok} parsed, {bad} failed");
    ExitCode::SUCCESS
}

enum Frame {
    Seq(Vec<Value>),
    Map(Map<String, Value>, Option<String>),
}

/// A YAML stream's first document as a `serde_json::Value`, built from
/// saphyr-parser events; CloudFormation short-form tags become one-key maps.
fn yaml_to_value(text: &str) -> Option<Value> {
    let mut stack: Vec<(Frame, Option<String>)> = Vec::new();
    let mut done: Option<Value> = None;
    for event in Parser::new_from_str(text) {
        let (event, _span) = event.ok()?;
        let (value, tag) = match event {
            Event::Scalar(text, style, _, tag) => {
                let v = if style != ScalarStyle::Plain {
                    Value::String(text.into_owned())
                } else {
                    match text.as_ref() {
                        "" | "~" | "null" => Value::Null,
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        t => t
                            .parse::<i64>()
                            .map(Value::from)
                            .or_else(|_| t.parse::<f64>().map(Value::from))
                            .unwrap_or_else(|_| Value::String(text.into_owned())),
                    }
                };
                (v, tag.map(|t| t.suffix.clone()))
            }
            Event::SequenceStart(_, tag) => {
                stack.push((Frame::Seq(Vec::new()), tag.map(|t| t.suffix.clone())));
                continue;
            }
            Event::MappingStart(_, tag) => {
                stack.push((Frame::Map(Map::new(), None), tag.map(|t| t.suffix.clone())));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop()? {
                (Frame::Seq(items), tag) => (Value::Array(items), tag),
                (Frame::Map(map, _), tag) => (Value::Object(map), tag),
            },
            _ => continue,
        };
        let value = match tag {
            Some(t) if t == "Ref" || t == "Condition" => Value::Object(Map::from_iter([(t, value)])),
            Some(t) if t.chars().next().is_some_and(char::is_uppercase) => {
                Value::Object(Map::from_iter([(format!("Fn::{t}"), value)]))
            }
            _ => value,
        };
        match stack.last_mut() {
            None => done = done.or(Some(value)),
            Some((Frame::Seq(items), _)) => items.push(value),
            Some((Frame::Map(map, key), _)) => match key.take() {
                None => *key = Some(value.as_str().map_or_else(|| value.to_string(), str::to_owned)),
                Some(k) => {
                    map.insert(k, value);
                }
            },
        }
    }
    Some(done.unwrap_or(Value::Null))
}
