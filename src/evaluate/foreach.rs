//! `Fn::ForEach` in `Resources` (`Transform: AWS::LanguageExtensions`):
//! each loop's output copied once per item of its collection, the
//! identifier put in with `${Id}`, `&{Id}` (alphanumerics only) and
//! `Ref: Id`, nested loops expanded from the outside in. The resources
//! made keep the positions of the loop body they came from, and name the
//! loop's key so that findings point at the `Fn::ForEach` that made them.

use crate::load::node::{Entry, Node, Pos, Value};

use super::{Evaluator, Three, Why};

/// Resources one template's loops may make; CloudFormation allows 500.
pub const MAX_GENERATED: usize = 2_000;
const MAX_NESTING: usize = 16;
/// Copies of loop outputs made for one template, nested loops included.
const MAX_COPIES: usize = 20_000;

/// A resource made by a loop.
#[derive(Debug, Clone)]
pub struct Generated {
    pub logical_id: String,
    /// The outermost loop's key, where findings about it point.
    pub key_pos: Pos,
    /// JSON pointer tokens from the root to the resource as written in the
    /// loop (`Resources`, `Fn::ForEach::Entries`, `2`, `Entry${Name}`).
    pub tokens: Vec<String>,
    pub resource_type: String,
    pub node: Node,
}

/// A loop that could not be expanded.
#[derive(Debug, Clone)]
pub struct Problem {
    pub key: String,
    pub key_pos: Pos,
    pub tokens: Vec<String>,
    pub why: String,
}

/// Expands the loops `(key, key position, value)` found under `base`
/// (the pointer tokens of `Resources`).
pub fn expand(ev: &Evaluator<'_>, loops: &[(String, Pos, Node)], base: &[&str]) -> (Vec<Generated>, Vec<Problem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (key, key_pos, node) in loops {
        let mut tokens: Vec<String> = base.iter().map(|t| (*t).to_owned()).collect();
        tokens.push(key.clone());
        if !ev.inputs.language_extensions {
            problems.push(Problem {
                key: key.clone(),
                key_pos: *key_pos,
                tokens,
                why: format!("{key} needs `Transform: AWS::LanguageExtensions`{}", super::REJECTED),
            });
            continue;
        }
        let mut made = Made { out: std::mem::take(&mut out), copies: 0 };
        let result = one_loop(ev, key, node, *key_pos, &tokens, 0, &mut made);
        out = made.out;
        if let Err(why) = result {
            problems.push(Problem { key: key.clone(), key_pos: *key_pos, tokens, why });
        }
    }
    (out, problems)
}

/// What the loops of one entry made so far.
struct Made {
    out: Vec<Generated>,
    copies: usize,
}

fn one_loop(
    ev: &Evaluator<'_>,
    key: &str,
    node: &Node,
    key_pos: Pos,
    tokens: &[String],
    nesting: usize,
    made: &mut Made,
) -> Result<(), String> {
    let at = |p: Pos| format!("(line {}, column {})", p.line, p.column);
    if nesting > MAX_NESTING {
        return Err(format!("{key}: loops nested deeper than {MAX_NESTING}"));
    }
    let Some([id, collection, body]) = node.as_seq() else {
        return Err(format!(
            "{key} takes [identifier, collection, output] {}; CloudFormation rejects the template",
            at(node.pos)
        ));
    };
    let Some(id) = id.as_str() else {
        return Err(format!(
            "{key}: the identifier must be a string {}; CloudFormation rejects the template",
            at(id.pos)
        ));
    };
    let Some(entries) = body.as_map() else {
        return Err(format!(
            "{key}: the output must be a mapping {}; CloudFormation rejects the template",
            at(body.pos)
        ));
    };
    let items = ev.over(ev.all(), |s| {
        let v = ev.value(collection, s)?;
        let items = ev.items(v, collection.pos, s, 0).map_err(|e| match e {
            Why::Invalid(_) => Why::invalid(collection.pos, format!("{key} loops over something that is not a list")),
            other => other,
        })?;
        items.iter().map(|i| ev.text(i, collection.pos, s)).collect::<Result<Vec<_>, _>>()
    });
    let items = match items {
        Three::Known(items) => items,
        Three::OneOf(_) => return Err(format!("{key}: its collection depends on the parameters in force")),
        Three::Unknown(why) => return Err(format!("{key}: its collection cannot be worked out: {why}")),
    };
    for item in &items {
        for entry in entries {
            made.copies += 1;
            if made.copies > MAX_COPIES {
                return Err(format!("{key}: the loops make more than {MAX_COPIES} copies of their output"));
            }
            let new_key = substitute_text(&entry.key, id, item);
            let value = substitute(&entry.value, id, item);
            let mut inner_tokens = tokens.to_vec();
            inner_tokens.push("2".to_owned());
            inner_tokens.push(entry.key.clone());
            if new_key.starts_with("Fn::ForEach::") {
                one_loop(ev, &new_key, &value, key_pos, &inner_tokens, nesting + 1, made)?;
                continue;
            }
            if made.out.len() >= MAX_GENERATED {
                return Err(format!("{key}: the loops make more than {MAX_GENERATED} resources"));
            }
            let resource_type = value.get("Type").and_then(Node::as_str).unwrap_or_default().to_owned();
            made.out.push(Generated { logical_id: new_key, key_pos, tokens: inner_tokens, resource_type, node: value });
        }
    }
    Ok(())
}

/// `${id}` and `&{id}` replaced in `text`.
fn substitute_text(text: &str, id: &str, item: &str) -> String {
    if !text.contains('{') {
        return text.to_owned();
    }
    let alnum: String = item.chars().filter(char::is_ascii_alphanumeric).collect();
    text.replace(&format!("${{{id}}}"), item).replace(&format!("&{{{id}}}"), &alnum)
}

/// A copy of `node` with the identifier put in.
fn substitute(node: &Node, id: &str, item: &str) -> Node {
    let value = match &node.value {
        Value::String(t) => Value::String(substitute_text(t, id, item)),
        Value::Seq(items) => Value::Seq(items.iter().map(|i| substitute(i, id, item)).collect()),
        Value::Map(entries) => {
            if let Some(("Ref", arg)) = node.intrinsic() {
                if arg.as_str() == Some(id) {
                    return Node::new(node.pos, Value::String(item.to_owned()));
                }
            }
            Value::Map(
                entries
                    .iter()
                    .map(|e| Entry {
                        key: substitute_text(&e.key, id, item),
                        key_pos: e.key_pos,
                        value: substitute(&e.value, id, item),
                    })
                    .collect(),
            )
        }
        other => other.clone(),
    };
    Node::new(node.pos, value)
}
