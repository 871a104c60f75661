//! Stage 3a: evaluate.
//!
//! Takes the positioned parts of one CloudFormation template (its
//! `Parameters`, `Conditions`, `Mappings`, `Transform`, the nodes later
//! stages ask about) and the `--parameter` overrides; gives values as
//! CloudFormation would compute them, three-valued: [`Three::Known`],
//! [`Three::OneOf`] (a candidate per set of scenarios) or
//! [`Three::Unknown`] (with the reason). Any fact extractor can ask about
//! any node of the template through an [`Evaluator`].
//!
//! A *scenario* fixes every input the answer depends on that the inputs do
//! not fix: a parameter without `Default` or override but with
//! `AllowedValues` takes each allowed value in turn, and a condition that
//! depends on something unknown (a pseudo parameter, a parameter with
//! neither default nor allowed values) is taken as true and as false.
//! Scenarios are enumerated once per template, at most [`MAX_SCENARIOS`];
//! beyond that the inputs stay unknown. Every question is answered in every
//! scenario, so related conditions are evaluated jointly: a resource under
//! `Condition: IsProd` and a value `!If [IsProd, a, b]` agree in each one.
//!
//! Nothing here panics or loops on bad input: wrong arities, unknown
//! conditions, condition cycles, missing mapping keys and `Fn::Sub`
//! variables that name nothing come back as [`Why::Invalid`], saying what
//! CloudFormation would reject and where. Evaluation is memoised per
//! scenario and bounded in depth.

mod conditions;
pub mod foreach;
mod intrinsics;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::load::node::{Node, Pos, Value};

/// A set of scenarios, one bit each.
pub type Mask = u64;

/// The most scenarios enumerated for one template (one bit of a [`Mask`]
/// each), as cfn-lint bounds its condition scenarios.
pub const MAX_SCENARIOS: usize = 64;

/// The deepest nesting of functions evaluated.
const MAX_DEPTH: usize = 200;

/// A three-valued answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Three<T> {
    /// The same in every scenario asked about.
    Known(T),
    /// Different values in different scenarios: each with its scenarios.
    OneOf(Vec<(T, Mask)>),
    /// Not known from the inputs, or CloudFormation rejects it: why.
    Unknown(String),
}

impl<T> Three<T> {
    pub fn known(self) -> Option<T> {
        match self {
            Self::Known(v) => Some(v),
            _ => None,
        }
    }
}

/// A value worked out in one scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'n> {
    /// A literal mapping or list: its members are evaluated when asked.
    Node(&'n Node),
    Str(String),
    List(Vec<Val<'n>>),
    /// `Ref: AWS::NoValue`: the key it sits under is absent.
    Absent,
    /// `Ref` to a resource of the template, by logical id.
    Resource(String),
    /// `Fn::ImportValue` of this export name.
    Import(String),
}

/// How every reason CloudFormation rejects a template ends.
pub const REJECTED: &str = "; CloudFormation rejects the template";

/// Why a value could not be worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// It depends on something the inputs do not say.
    Unknown(String),
    /// CloudFormation rejects the template here.
    Invalid(String),
}

impl Why {
    pub fn text(&self) -> &str {
        match self {
            Self::Unknown(t) | Self::Invalid(t) => t,
        }
    }

    fn unknown(text: impl Into<String>) -> Self {
        Self::Unknown(text.into())
    }

    fn invalid(at: Pos, text: impl fmt::Display) -> Self {
        Self::Invalid(format!("{text} (line {}, column {}){REJECTED}", at.line, at.column))
    }
}

/// One input a scenario fixes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Assignment {
    /// A parameter name, or a condition name when `condition`.
    pub name: String,
    pub value: String,
    pub condition: bool,
}

impl fmt::Display for Assignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.condition {
            write!(f, "condition {} is {}", self.name, self.value)
        } else {
            write!(f, "{}={}", self.name, self.value)
        }
    }
}

/// One scenario: the inputs it fixes (none when the inputs fix everything).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scenario {
    pub assignments: Vec<Assignment>,
}

impl Scenario {
    /// `Env=dev, condition InUsEast is false`.
    pub fn label(&self) -> String {
        self.assignments.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    }

    fn get(&self, name: &str, condition: bool) -> Option<&str> {
        self.assignments.iter().find(|a| a.condition == condition && a.name == name).map(|a| a.value.as_str())
    }
}

/// What one template offers to evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub stack_name: &'a str,
    pub parameters: Option<&'a Node>,
    pub conditions: Option<&'a Node>,
    pub mappings: Option<&'a Node>,
    /// `--parameter` overrides (declared parameters, and `AWS::` pseudo
    /// parameters such as `AWS::Region`).
    pub overrides: &'a BTreeMap<String, String>,
    /// `Transform` names `AWS::LanguageExtensions`.
    pub language_extensions: bool,
    /// Every logical id of the template, when known (a `Fn::Sub` variable
    /// that names none of them nor a parameter is an error then).
    pub logical_ids: Option<&'a [String]>,
}

impl<'a> Inputs<'a> {
    /// What `template` offers, with the `--parameter` overrides. Any fact
    /// extractor starts here: `Evaluator::new(Inputs::of(t, o), &[nodes])`,
    /// then `string`, `value`, `member` or `exists` on any node of `t`.
    pub fn of(template: &'a crate::load::Template, overrides: &'a BTreeMap<String, String>) -> Self {
        let semantics = template.semantics.as_deref();
        Self {
            stack_name: &template.stack_name,
            parameters: template.parameters.as_ref(),
            conditions: semantics.and_then(|s| s.conditions.as_ref()),
            mappings: semantics.and_then(|s| s.mappings.as_ref()),
            overrides,
            language_extensions: semantics.is_some_and(|s| s.language_extensions),
            // Loops make logical ids of their own.
            logical_ids: semantics.filter(|s| s.loops.is_empty()).map(|s| &s.logical_ids[..]),
        }
    }
}

#[derive(Debug)]
enum Memo {
    Busy,
    Done(Result<bool, Why>),
}

/// Evaluates nodes of one template, in every scenario.
#[derive(Debug)]
pub struct Evaluator<'a> {
    inputs: Inputs<'a>,
    scenarios: Vec<Scenario>,
    /// Conditions that depend on unknown inputs and are enumerated as
    /// true and false.
    free: RefCell<BTreeSet<String>>,
    discovering: Cell<bool>,
    memo: RefCell<HashMap<(usize, String), Memo>>,
    /// The names `Ref` gives for resources, where known (a cluster's name).
    names: RefCell<HashMap<String, String>>,
    /// Why fewer scenarios than needed were enumerated.
    pub bounded: Option<String>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator for questions about `roots` (the nodes that will be
    /// asked about: the inputs they depend on decide the scenarios).
    pub fn new(inputs: Inputs<'a>, roots: &[&Node]) -> Self {
        let mut ev = Self {
            inputs,
            scenarios: vec![Scenario::default()],
            free: RefCell::default(),
            discovering: Cell::new(false),
            memo: RefCell::default(),
            names: RefCell::default(),
            bounded: None,
        };
        let (params, conds) = ev.references(roots);
        // Parameters whose value the inputs leave open, with their candidates.
        let mut vars: Vec<(String, Vec<String>)> = Vec::new();
        for name in &params {
            if let Some(candidates) = ev.open_parameter(name) {
                vars.push((name.clone(), candidates));
            }
        }
        let mut scenarios = vec![Scenario::default()];
        for (name, candidates) in &vars {
            if scenarios.len() * candidates.len() > MAX_SCENARIOS {
                ev.bounded = Some(format!(
                    "more than {MAX_SCENARIOS} combinations of parameter values (from AllowedValues) to consider"
                ));
                scenarios = vec![Scenario::default()];
                break;
            }
            scenarios = scenarios
                .into_iter()
                .flat_map(|s| {
                    candidates.iter().map(move |c| {
                        let mut s = s.clone();
                        s.assignments.push(Assignment { name: name.clone(), value: c.clone(), condition: false });
                        s
                    })
                })
                .collect();
        }
        ev.scenarios = scenarios;
        // Conditions that stay unknown in some scenario become inputs too.
        if !conds.is_empty() {
            ev.discovering.set(true);
            for s in 0..ev.scenarios.len() {
                for name in &conds {
                    let _ = ev.condition(name, s, 0);
                }
            }
            ev.discovering.set(false);
            ev.memo.borrow_mut().clear();
            let free: Vec<String> = ev.free.borrow().iter().cloned().collect();
            if !free.is_empty() {
                if ev.scenarios.len() << free.len().min(7) > MAX_SCENARIOS {
                    ev.bounded = Some(format!(
                        "more than {MAX_SCENARIOS} combinations of condition outcomes to consider (conditions {})",
                        free.join(", ")
                    ));
                    ev.free.borrow_mut().clear();
                } else {
                    for name in free {
                        ev.scenarios = ev
                            .scenarios
                            .into_iter()
                            .flat_map(|s| {
                                let name = &name;
                                ["true", "false"].into_iter().map(move |v| {
                                    let mut s = s.clone();
                                    s.assignments.push(Assignment {
                                        name: name.clone(),
                                        value: v.to_owned(),
                                        condition: true,
                                    });
                                    s
                                })
                            })
                            .collect();
                    }
                }
            }
        }
        ev
    }

    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// Every scenario.
    pub fn all(&self) -> Mask {
        mask_of(self.scenarios.len())
    }

    /// The labels of the scenarios in `mask`.
    pub fn labels(&self, mask: Mask) -> Vec<String> {
        (0..self.scenarios.len()).filter(|s| mask & (1 << s) != 0).map(|s| self.scenarios[s].label()).collect()
    }

    /// Is `name` a parameter the template declares?
    pub fn is_parameter(&self, name: &str) -> bool {
        self.inputs.parameters.and_then(|p| p.get(name)).is_some()
    }

    /// Is parameter `name` given with `--parameter`?
    pub fn is_overridden(&self, name: &str) -> bool {
        self.is_parameter(name) && self.inputs.overrides.contains_key(name)
    }

    /// The parameters `node` depends on (through conditions too), with the
    /// value each has in scenario `s`: `Env=dev by default`.
    pub fn decided_by(&self, node: &Node, s: usize) -> Vec<String> {
        let (names, _) = self.references(&[node]);
        names
            .iter()
            .filter(|n| self.is_parameter(n))
            .filter_map(|name| {
                if let Some(v) = self.inputs.overrides.get(name) {
                    return Some(format!("{name}={v} from --parameter"));
                }
                if let Some(v) = self.scenarios.get(s).and_then(|sc| sc.get(name, false)) {
                    return Some(format!("{name}={v}"));
                }
                let default = self.inputs.parameters?.get(name)?.get("Default")?.scalar_text()?;
                Some(format!("{name}={default} by default"))
            })
            .collect()
    }

    /// Tells `Ref` (and `Fn::Sub`) what a resource's reference gives.
    pub fn set_name(&self, logical_id: &str, name: &str) {
        self.names.borrow_mut().insert(logical_id.to_owned(), name.to_owned());
    }

    /// Answers `f` in every scenario of `within`, and sums up.
    pub fn over<T: PartialEq>(&self, within: Mask, f: impl Fn(usize) -> Result<T, Why>) -> Three<T> {
        let mut found: Vec<(T, Mask)> = Vec::new();
        let mut unknown: Option<Why> = None;
        for s in 0..self.scenarios.len() {
            if within & (1 << s) == 0 {
                continue;
            }
            match f(s) {
                Ok(v) => match found.iter_mut().find(|(seen, _)| *seen == v) {
                    Some((_, m)) => *m |= 1 << s,
                    None => found.push((v, 1 << s)),
                },
                Err(why) => {
                    if !matches!(unknown, Some(Why::Invalid(_))) {
                        unknown = Some(why);
                    }
                }
            }
        }
        if let Some(why) = unknown {
            return Three::Unknown(why.text().to_owned());
        }
        match found.len() {
            0 => Three::Unknown("no scenario to evaluate".to_owned()),
            1 => Three::Known(found.remove(0).0),
            _ => Three::OneOf(found),
        }
    }

    /// The scenarios in which a resource (or output) with this node exists,
    /// by its `Condition`.
    pub fn exists(&self, resource: &Node) -> Result<Mask, Why> {
        let Some(cond) = resource.get("Condition") else { return Ok(self.all()) };
        let Some(name) = cond.as_str() else {
            return Err(Why::invalid(cond.pos, "a resource's Condition must be a condition name"));
        };
        let mut mask = 0;
        for s in 0..self.scenarios.len() {
            if self.condition(name, s, 0)? {
                mask |= 1 << s;
            }
        }
        Ok(mask)
    }

    /// `node` as a string, in the scenarios of `within`.
    pub fn string(&self, node: &Node, within: Mask) -> Three<String> {
        self.over(within, |s| {
            let v = self.eval(node, s, 0)?;
            self.text(&v, node.pos, s)
        })
    }

    /// `node` evaluated in scenario `s`.
    pub fn value<'n>(&self, node: &'n Node, s: usize) -> Result<Val<'n>, Why>
    where
        'a: 'n,
    {
        self.eval(node, s, 0)
    }

    /// The member `key` of a literal mapping value, evaluated: `None` when
    /// it is missing or `AWS::NoValue`; with the node it was written at.
    pub fn member<'n>(&self, parent: &Val<'n>, key: &str, at: Pos, s: usize) -> Result<Option<(&'n Node, Val<'n>)>, Why>
    where
        'a: 'n,
    {
        match parent {
            Val::Node(node) if node.as_map().is_some() => match node.get(key) {
                None => Ok(None),
                Some(child) => match self.eval(child, s, 0)? {
                    Val::Absent => Ok(None),
                    v => Ok(Some((child, v))),
                },
            },
            Val::Absent => Ok(None),
            Val::Import(e) => Err(Why::unknown(format!("the value is imported from export {e}"))),
            _ => Err(Why::invalid(at, format!("a mapping is expected where {key} is looked up"))),
        }
    }

    /// A value as text, as CloudFormation uses it in a string property.
    pub fn text(&self, v: &Val<'_>, at: Pos, _s: usize) -> Result<String, Why> {
        match v {
            Val::Str(s) => Ok(s.clone()),
            Val::Resource(id) => match self.names.borrow().get(id) {
                Some(name) => Ok(name.clone()),
                None => Err(Why::unknown(format!("Ref to resource {id}, whose name is known only after deployment"))),
            },
            Val::Import(e) => Err(Why::unknown(format!("the value is imported from export {e}"))),
            Val::Absent => Err(Why::invalid(at, "AWS::NoValue where a value is required")),
            Val::List(_) => Err(Why::invalid(at, "a list where a string is expected")),
            Val::Node(n) if n.as_seq().is_some() => Err(Why::invalid(at, "a list where a string is expected")),
            Val::Node(_) => Err(Why::invalid(at, "a mapping where a string is expected")),
        }
    }

    /// The items of a list value, evaluated (`AWS::NoValue` items dropped).
    pub fn items<'n>(&self, v: Val<'n>, at: Pos, s: usize, depth: usize) -> Result<Vec<Val<'n>>, Why>
    where
        'a: 'n,
    {
        match v {
            Val::List(items) => Ok(items),
            Val::Node(node) => match node.as_seq() {
                Some(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        match self.eval(item, s, depth + 1)? {
                            Val::Absent => {}
                            v => out.push(v),
                        }
                    }
                    Ok(out)
                }
                None => Err(Why::invalid(at, "a mapping where a list is expected")),
            },
            Val::Import(e) => Err(Why::unknown(format!("the list is imported from export {e}"))),
            Val::Resource(id) => Err(Why::invalid(at, format!("Ref to resource {id} where a list is expected"))),
            Val::Str(_) | Val::Absent => Err(Why::invalid(at, "a string where a list is expected")),
        }
    }

    /// Parameters, pseudo parameters and conditions that `roots` refer to,
    /// conditions followed into their definitions.
    fn references(&self, roots: &[&Node]) -> (BTreeSet<String>, BTreeSet<String>) {
        let mut refs = Refs::default();
        for root in roots {
            refs.walk(root, 0);
        }
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = refs.conditions.iter().cloned().collect();
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(body) = self.inputs.conditions.and_then(|c| c.get(&name)) {
                let mut inner = Refs::default();
                inner.walk(body, 0);
                refs.names.extend(inner.names);
                todo.extend(inner.conditions);
            }
        }
        (refs.names, seen)
    }

    /// A declared parameter the inputs leave open, and its candidates.
    fn open_parameter(&self, name: &str) -> Option<Vec<String>> {
        let declared = self.inputs.parameters?.get(name)?;
        if self.inputs.overrides.contains_key(name) || declared.get("Default").is_some() {
            return None;
        }
        let kind = declared.get("Type").and_then(Node::as_str).unwrap_or("String");
        if kind.starts_with("AWS::SSM::") || kind.starts_with("List<") || kind == "CommaDelimitedList" {
            return None;
        }
        let allowed = declared.get("AllowedValues")?.as_seq()?;
        let mut candidates: Vec<String> = Vec::new();
        for v in allowed {
            let text = v.scalar_text()?.into_owned();
            if !candidates.contains(&text) {
                candidates.push(text);
            }
        }
        (!candidates.is_empty()).then_some(candidates)
    }

    /// The value of parameter `name` in scenario `s`; `None` when it is not
    /// declared.
    fn parameter<'n>(&self, name: &str, s: usize, at: Pos) -> Option<Result<Val<'n>, Why>> {
        let declared = self.inputs.parameters.and_then(|p| p.get(name))?;
        let kind = declared.get("Type").and_then(Node::as_str).unwrap_or("String");
        let list = kind.starts_with("List<") || kind == "CommaDelimitedList";
        let ssm = kind.starts_with("AWS::SSM::Parameter::Value<");
        let split = |text: &str| -> Val<'n> {
            if list || (ssm && kind.contains("List<")) {
                Val::List(text.split(',').map(|t| Val::Str(t.to_owned())).collect())
            } else {
                Val::Str(text.to_owned())
            }
        };
        if let Some(value) = self.inputs.overrides.get(name) {
            return Some(Ok(split(value)));
        }
        if let Some(value) = self.scenarios.get(s).and_then(|sc| sc.get(name, false)) {
            return Some(Ok(split(value)));
        }
        if ssm {
            let stored = declared.get("Default").and_then(Node::scalar_text);
            return Some(Err(Why::unknown(match stored {
                Some(path) => format!(
                    "parameter {name} is of type {kind}: its value is read from SSM parameter {path} at deploy time \
                     (pass --parameter {name}=VALUE)"
                ),
                None => {
                    format!("parameter {name} is of type {kind} and has no Default (pass --parameter {name}=VALUE)")
                }
            })));
        }
        Some(match declared.get("Default") {
            Some(d) => match d.scalar_text() {
                Some(text) => Ok(split(&text)),
                None => match d.as_seq() {
                    Some(items) if list => Ok(Val::List(
                        items.iter().filter_map(|i| Some(Val::Str(i.scalar_text()?.into_owned()))).collect(),
                    )),
                    _ => Err(Why::invalid(at, format!("parameter {name} has a Default that is not a string"))),
                },
            },
            None => Err(Why::unknown(match declared.get("AllowedValues").and_then(Node::as_seq) {
                Some(_) => format!(
                    "parameter {name} has no Default, and {}",
                    self.bounded.as_deref().unwrap_or("its allowed values are not enumerated")
                ),
                None => format!("parameter {name} has no Default (pass --parameter {name}=VALUE)"),
            })),
        })
    }
}

fn mask_of(n: usize) -> Mask {
    if n >= 64 { Mask::MAX } else { (1 << n) - 1 }
}

/// Names a subtree refers to: `Ref`, `Fn::Sub` variables, conditions.
#[derive(Default)]
struct Refs {
    names: BTreeSet<String>,
    conditions: BTreeSet<String>,
}

impl Refs {
    fn walk(&mut self, node: &Node, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match &node.value {
            Value::Seq(items) => items.iter().for_each(|i| self.walk(i, depth + 1)),
            Value::Map(entries) => {
                for e in entries {
                    match (e.key.as_str(), &e.value.value) {
                        ("Ref", Value::String(name)) => {
                            self.names.insert(name.clone());
                        }
                        ("Condition", Value::String(name)) => {
                            self.conditions.insert(name.clone());
                        }
                        ("Fn::If", Value::Seq(items)) => {
                            if let Some(name) = items.first().and_then(Node::as_str) {
                                self.conditions.insert(name.to_owned());
                            }
                        }
                        ("Fn::Sub", _) => {
                            let text = match &e.value.value {
                                Value::String(t) => Some(t.as_str()),
                                Value::Seq(items) => items.first().and_then(Node::as_str),
                                _ => None,
                            };
                            for var in text.map(intrinsics::sub_variables).unwrap_or_default() {
                                self.names.insert(var.to_owned());
                            }
                        }
                        _ => {}
                    }
                    self.walk(&e.value, depth + 1);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
