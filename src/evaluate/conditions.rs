//! Conditions: `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not` and
//! `Condition` references, memoised per scenario, with cycles and unknown
//! names reported as CloudFormation would reject them. A condition that
//! depends on unknown inputs is one of the scenario inputs (see the module
//! above): taken as true while scenarios are being worked out, then as
//! each scenario says.

use crate::load::node::{Node, Pos, Value};

use super::{Evaluator, MAX_DEPTH, Memo, Val, Why};

impl<'a> Evaluator<'a> {
    /// Whether condition `name` holds in scenario `s`.
    pub fn condition(&self, name: &str, s: usize, depth: usize) -> Result<bool, Why> {
        let key = (s, name.to_owned());
        match self.memo.borrow().get(&key) {
            Some(Memo::Done(r)) => return r.clone(),
            Some(Memo::Busy) => {
                return Err(Why::Invalid(format!(
                    "condition {name} depends on itself (a cycle in Conditions); CloudFormation rejects the template"
                )));
            }
            None => {}
        }
        let Some(body) = self.inputs.conditions.and_then(|c| c.get(name)) else {
            return Err(Why::Invalid(format!(
                "condition {name} is not defined in Conditions; CloudFormation rejects the template"
            )));
        };
        self.memo.borrow_mut().insert(key.clone(), Memo::Busy);
        let mut result = self.expression(body, s, depth + 1);
        if let Err(Why::Unknown(_)) = &result {
            if self.discovering.get() {
                self.free.borrow_mut().insert(name.to_owned());
                result = Ok(true);
            } else if let Some(v) = self.scenarios.get(s).and_then(|sc| sc.get(name, true)) {
                result = Ok(v == "true");
            }
        }
        self.memo.borrow_mut().insert(key, Memo::Done(result.clone()));
        result
    }

    /// A condition expression in scenario `s`.
    fn expression(&self, node: &Node, s: usize, depth: usize) -> Result<bool, Why> {
        if depth > MAX_DEPTH {
            return Err(Why::invalid(node.pos, format!("conditions nested deeper than {MAX_DEPTH} levels")));
        }
        let Some((function, arg)) = node.intrinsic() else {
            return match node.scalar_text().as_deref() {
                Some("true") => Ok(true),
                Some("false") => Ok(false),
                _ => {
                    Err(Why::invalid(node.pos, "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition"))
                }
            };
        };
        let at = node.pos;
        match function {
            "Condition" => match arg.as_str() {
                Some(name) => self.condition(name, s, depth + 1),
                None => Err(Why::invalid(at, "Condition takes a condition name")),
            },
            "Fn::Equals" => {
                let Some([a, b]) = arg.as_seq() else {
                    return Err(Why::invalid(at, "Fn::Equals takes exactly two values"));
                };
                let a = self.eval(a, s, depth + 1)?;
                let b = self.eval(b, s, depth + 1)?;
                Ok(self.comparable(a, at, s, depth)? == self.comparable(b, at, s, depth)?)
            }
            "Fn::Not" => match arg.as_seq() {
                Some([inner]) => Ok(!self.expression(inner, s, depth + 1)?),
                _ => Err(Why::invalid(at, "Fn::Not takes a list of exactly one condition")),
            },
            "Fn::And" | "Fn::Or" => {
                let Some(items) = arg.as_seq().filter(|i| (2..=10).contains(&i.len())) else {
                    return Err(Why::invalid(at, format!("{function} takes a list of 2 to 10 conditions")));
                };
                let and = function == "Fn::And";
                let mut unknown = None;
                let mut decided = false;
                for item in items {
                    match self.expression(item, s, depth + 1) {
                        Ok(v) if v != and => decided = true,
                        Ok(_) => {}
                        Err(e @ Why::Invalid(_)) => return Err(e),
                        Err(e) => unknown = unknown.or(Some(e)),
                    }
                }
                match (decided, unknown) {
                    (true, _) => Ok(!and),
                    (false, Some(e)) => Err(e),
                    (false, None) => Ok(and),
                }
            }
            "Fn::If" => Err(Why::invalid(at, "Fn::If cannot decide a condition; use Fn::And, Fn::Or, Fn::Not")),
            other => Err(Why::invalid(at, format!("{other} is not a condition function"))),
        }
    }

    /// A value as `Fn::Equals` compares it: strings, or lists of strings.
    fn comparable(&self, v: Val<'_>, at: Pos, s: usize, depth: usize) -> Result<Vec<String>, Why> {
        match v {
            Val::List(_) => {
                let items = self.items(v, at, s, depth)?;
                items.iter().map(|i| self.text(i, at, s)).collect()
            }
            Val::Node(n) if matches!(n.value, Value::Seq(_)) => {
                let items = self.items(v, at, s, depth)?;
                items.iter().map(|i| self.text(i, at, s)).collect()
            }
            other => Ok(vec![self.text(&other, at, s)?]),
        }
    }
}
