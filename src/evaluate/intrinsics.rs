//! The intrinsic functions in value positions: `Ref`, `Fn::Sub`,
//! `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap` (with
//! `DefaultValue` under LanguageExtensions), `Fn::If`, `Fn::ImportValue`,
//! `Fn::Length`, `Fn::ToJsonString`; `Fn::GetAtt`, `Fn::Base64`,
//! `Fn::GetAZs` and `Fn::Cidr` are unknown before deployment.

use crate::load::node::{Node, Pos, Value};

use super::{Evaluator, MAX_DEPTH, Val, Why};

/// Pseudo parameters CloudFormation defines.
const PSEUDO: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// The variables of a `Fn::Sub` string: `${Name}`, `${Res.Attr}`; not
/// `${!Literal}`.
pub(super) fn sub_variables(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = after[..end].trim();
        if !name.starts_with('!') {
            out.push(name);
        }
        rest = &after[end + 1..];
    }
    out
}

impl<'a> Evaluator<'a> {
    /// `node` in scenario `s`: literals as they are, functions applied.
    pub(super) fn eval<'n>(&self, node: &'n Node, s: usize, depth: usize) -> Result<Val<'n>, Why>
    where
        'a: 'n,
    {
        if depth > MAX_DEPTH {
            return Err(Why::invalid(node.pos, format!("functions nested deeper than {MAX_DEPTH} levels")));
        }
        match &node.value {
            Value::String(t) | Value::Number(t) => Ok(Val::Str(t.clone())),
            Value::Bool(b) => Ok(Val::Str(b.to_string())),
            Value::Null => Err(Why::invalid(node.pos, "a null value")),
            Value::Seq(_) => Ok(Val::Node(node)),
            Value::Map(_) => match node.intrinsic() {
                None => Ok(Val::Node(node)),
                Some((function, arg)) => self.function(function, arg, node.pos, s, depth + 1),
            },
        }
    }

    fn function<'n>(&self, function: &str, arg: &'n Node, at: Pos, s: usize, depth: usize) -> Result<Val<'n>, Why>
    where
        'a: 'n,
    {
        match function {
            "Ref" => match arg.as_str() {
                Some(name) => self.reference(name, at, s),
                None => Err(Why::invalid(at, "Ref takes a name")),
            },
            "Fn::Sub" => self.sub(arg, at, s, depth).map(Val::Str),
            "Fn::Join" => {
                let Some([delimiter, list]) = arg.as_seq() else {
                    return Err(Why::invalid(at, "Fn::Join takes [delimiter, list]"));
                };
                let delimiter = self.eval(delimiter, s, depth)?;
                let delimiter = self.text(&delimiter, at, s)?;
                let list = self.eval(list, s, depth)?;
                let mut parts = Vec::new();
                for item in self.items(list, at, s, depth)? {
                    parts.push(self.text(&item, at, s)?);
                }
                Ok(Val::Str(parts.join(&delimiter)))
            }
            "Fn::Select" => {
                let Some([index, list]) = arg.as_seq() else {
                    return Err(Why::invalid(at, "Fn::Select takes [index, list]"));
                };
                let index = self.eval(index, s, depth)?;
                let index = self.text(&index, at, s)?;
                let Ok(i) = index.trim().parse::<usize>() else {
                    return Err(Why::invalid(at, format!("Fn::Select index `{index}` is not a whole number")));
                };
                let list = self.eval(list, s, depth)?;
                let mut items = self.items(list, at, s, depth)?;
                if i >= items.len() {
                    return Err(Why::invalid(
                        at,
                        format!("Fn::Select index {i} is out of range for a list of {}", items.len()),
                    ));
                }
                Ok(items.swap_remove(i))
            }
            "Fn::Split" => {
                let Some([delimiter, text]) = arg.as_seq() else {
                    return Err(Why::invalid(at, "Fn::Split takes [delimiter, string]"));
                };
                let delimiter = self.eval(delimiter, s, depth)?;
                let delimiter = self.text(&delimiter, at, s)?;
                if delimiter.is_empty() {
                    return Err(Why::invalid(at, "Fn::Split with an empty delimiter"));
                }
                let text = self.eval(text, s, depth)?;
                let text = self.text(&text, at, s)?;
                Ok(Val::List(text.split(delimiter.as_str()).map(|p| Val::Str(p.to_owned())).collect()))
            }
            "Fn::FindInMap" => self.find_in_map(arg, at, s, depth),
            "Fn::If" => {
                let Some([cond, then, otherwise]) = arg.as_seq() else {
                    return Err(Why::invalid(
                        at,
                        format!(
                            "Fn::If takes [condition, value if true, value if false], not {} argument(s)",
                            arg.as_seq().map_or(1, <[Node]>::len)
                        ),
                    ));
                };
                let Some(name) = cond.as_str() else {
                    return Err(Why::invalid(at, "Fn::If needs a condition name first"));
                };
                let branch = if self.condition(name, s, depth)? { then } else { otherwise };
                self.eval(branch, s, depth)
            }
            "Fn::ImportValue" => match self.eval(arg, s, depth).and_then(|name| self.text(&name, at, s)) {
                Ok(export) => Ok(Val::Import(export)),
                Err(Why::Unknown(why)) => {
                    Err(Why::Unknown(format!("Fn::ImportValue of an export name that cannot be worked out: {why}")))
                }
                Err(e) => Err(e),
            },
            "Fn::GetAtt" => {
                let target = match arg.as_seq() {
                    Some([r, a]) => format!("{}.{}", r.as_str().unwrap_or("?"), a.as_str().unwrap_or("?")),
                    _ => arg.as_str().unwrap_or("?").to_owned(),
                };
                Err(Why::unknown(format!("Fn::GetAtt {target} is known only after deployment")))
            }
            "Fn::Length" if self.inputs.language_extensions => {
                let list = self.eval(arg, s, depth)?;
                Ok(Val::Str(self.items(list, at, s, depth)?.len().to_string()))
            }
            "Fn::ToJsonString" if self.inputs.language_extensions => {
                let value = self.eval(arg, s, depth)?;
                let mut out = String::new();
                self.json(&value, at, s, depth, &mut out)?;
                Ok(Val::Str(out))
            }
            "Fn::Length" | "Fn::ToJsonString" | "Fn::ForEach" => {
                Err(Why::invalid(at, format!("{function} needs `Transform: AWS::LanguageExtensions`")))
            }
            "Condition" | "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
                Err(Why::invalid(at, format!("{function} belongs in Conditions, not in a value")))
            }
            other => Err(Why::unknown(format!("{other} is not evaluated before deployment"))),
        }
    }

    fn reference<'n>(&self, name: &str, at: Pos, s: usize) -> Result<Val<'n>, Why> {
        if let Some(value) = self.parameter(name, s, at) {
            return value;
        }
        match name {
            "AWS::NoValue" => return Ok(Val::Absent),
            "AWS::StackName" => return Ok(Val::Str(self.inputs.stack_name.to_owned())),
            _ => {}
        }
        if PSEUDO.contains(&name) {
            return match self.inputs.overrides.get(name) {
                Some(v) => Ok(Val::Str(v.clone())),
                None => Err(Why::unknown(format!("the pseudo parameter {name} (pass --parameter {name}=VALUE)"))),
            };
        }
        if name.starts_with("AWS::") {
            return Err(Why::invalid(at, format!("Ref to {name}, which is not a pseudo parameter")));
        }
        if let Some(ids) = self.inputs.logical_ids {
            if !ids.iter().any(|id| id == name) {
                return Err(Why::invalid(at, format!("Ref to {name}, which names no parameter or resource")));
            }
        }
        Ok(Val::Resource(name.to_owned()))
    }

    fn sub<'n>(&self, arg: &'n Node, at: Pos, s: usize, depth: usize) -> Result<String, Why>
    where
        'a: 'n,
    {
        let (text, vars) = match &arg.value {
            Value::String(t) => (t.as_str(), None),
            Value::Seq(items) => match items.as_slice() {
                [t, vars] if vars.as_map().is_some() => match t.as_str() {
                    Some(t) => (t, Some(vars)),
                    None => return Err(Why::invalid(at, "Fn::Sub takes a string first")),
                },
                _ => return Err(Why::invalid(at, "Fn::Sub takes a string or [string, {variables}]")),
            },
            _ => return Err(Why::invalid(at, "Fn::Sub takes a string or [string, {variables}]")),
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                // CloudFormation leaves an unclosed `${` as it is.
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = after[..end].trim();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(node) = vars.and_then(|v| v.get(name)) {
                let v = self.eval(node, s, depth)?;
                out.push_str(&self.text(&v, at, s)?);
            } else if let Some((resource, attribute)) = name.split_once('.') {
                return Err(Why::unknown(format!(
                    "Fn::Sub uses ${{{resource}.{attribute}}}, an attribute known only after deployment"
                )));
            } else {
                let v = self.reference(name, at, s).map_err(|e| match e {
                    Why::Invalid(_) => Why::invalid(at, format!("Fn::Sub uses ${{{name}}}, which names nothing")),
                    other => other,
                })?;
                out.push_str(&self.text(&v, at, s)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn find_in_map<'n>(&self, arg: &'n Node, at: Pos, s: usize, depth: usize) -> Result<Val<'n>, Why>
    where
        'a: 'n,
    {
        let (keys, default) = match arg.as_seq() {
            Some([m, a, b]) => ([m, a, b], None),
            Some([m, a, b, d]) if self.inputs.language_extensions => match d.get("DefaultValue") {
                Some(d) => ([m, a, b], Some(d)),
                None => return Err(Why::invalid(at, "Fn::FindInMap's fourth argument must be {DefaultValue: ...}")),
            },
            _ => return Err(Why::invalid(at, "Fn::FindInMap takes [map name, top-level key, second-level key]")),
        };
        let mut names = Vec::with_capacity(3);
        for k in keys {
            let v = self.eval(k, s, depth)?;
            names.push(self.text(&v, at, s)?);
        }
        let found = self
            .inputs
            .mappings
            .and_then(|m| m.get(&names[0]))
            .map(|m| (m, m.get(&names[1])))
            .map(|(m, top)| (m, top, top.and_then(|t| t.get(&names[2]))));
        match (found, default) {
            (Some((_, _, Some(value))), _) => self.eval(value, s, depth),
            (_, Some(d)) => self.eval(d, s, depth),
            (None, None) => {
                Err(Why::invalid(at, format!("Fn::FindInMap names mapping {}, which Mappings lacks", names[0])))
            }
            (Some((_, None, _)), None) => {
                Err(Why::invalid(at, format!("mapping {} has no key {}", names[0], names[1])))
            }
            (Some((_, Some(_), None)), None) => {
                Err(Why::invalid(at, format!("mapping {} has no key {} under {}", names[0], names[2], names[1])))
            }
        }
    }

    /// Writes `v` as compact JSON (`Fn::ToJsonString`).
    fn json(&self, v: &Val<'_>, at: Pos, s: usize, depth: usize, out: &mut String) -> Result<(), Why> {
        if depth > MAX_DEPTH {
            return Err(Why::invalid(at, format!("functions nested deeper than {MAX_DEPTH} levels")));
        }
        match v {
            Val::Node(node) => match &node.value {
                Value::Map(entries) => {
                    out.push('{');
                    let mut first = true;
                    for e in entries {
                        let value = self.eval(&e.value, s, depth + 1)?;
                        if value == Val::Absent {
                            continue;
                        }
                        if !first {
                            out.push(',');
                        }
                        first = false;
                        out.push_str(&serde_json::Value::String(e.key.clone()).to_string());
                        out.push(':');
                        self.json(&value, at, s, depth + 1, out)?;
                    }
                    out.push('}');
                }
                _ => {
                    let items = self.items(v.clone(), at, s, depth)?;
                    self.json(&Val::List(items), at, s, depth + 1, out)?;
                }
            },
            Val::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.json(item, at, s, depth + 1, out)?;
                }
                out.push(']');
            }
            other => out.push_str(&serde_json::Value::String(self.text(other, at, s)?).to_string()),
        }
        Ok(())
    }
}
