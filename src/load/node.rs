//! The positioned document tree shared by the JSON and YAML readers.
//!
//! Takes nothing from the disk; gives a small, owned tree whose every node
//! knows its 1-based line and column in the source. Only the parts of a
//! template that a later stage needs are ever turned into `Node`s: the rest
//! of a document is validated and dropped by the reader.

use std::fmt;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One value of a document and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

/// The value of a [`Node`]. Numbers keep their source text: no rule does
/// arithmetic, and the text is what users wrote.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A mapping entry, in source order, with the position of its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

/// The CloudFormation intrinsic functions that a one-key mapping can spell.
pub fn is_intrinsic_key(key: &str) -> bool {
    key == "Ref" || key == "Condition" || key.starts_with("Fn::")
}

impl Node {
    pub fn new(pos: Pos, value: Value) -> Self {
        Self { pos, value }
    }

    /// The value under `key`; with duplicate keys the last one wins, as in
    /// CloudFormation's own JSON reader.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry under `key` (the last one when a key is repeated).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().rev().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar as text: strings, numbers and booleans (CloudFormation
    /// accepts `"false"` and `false` alike).
    pub fn scalar_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.value {
            Value::String(s) | Value::Number(s) => Some(s.as_str().into()),
            Value::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// `Some((function, argument))` when this node is a one-key mapping
    /// naming an intrinsic function (`Ref`, `Fn::*`, `Condition`).
    pub fn intrinsic(&self) -> Option<(&str, &Node)> {
        match self.as_map() {
            Some([only]) if is_intrinsic_key(&only.key) => Some((&only.key, &only.value)),
            _ => None,
        }
    }

    /// Follows an RFC 6901 JSON pointer relative to this node.
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut node = self;
        for raw in pointer.strip_prefix('/')?.split('/') {
            let token = unescape_pointer_token(raw);
            node = match &node.value {
                Value::Map(_) => node.get(&token)?,
                Value::Seq(items) => items.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The last line any node of this tree starts on.
    pub fn last_line(&self) -> u32 {
        let children = match &self.value {
            Value::Seq(items) => items.iter().map(Node::last_line).max(),
            Value::Map(entries) => entries.iter().map(|e| e.value.last_line().max(e.key_pos.line)).max(),
            _ => None,
        };
        children.unwrap_or(self.pos.line).max(self.pos.line)
    }

    /// Number of nodes in this tree (used to bound YAML alias expansion).
    pub fn size(&self) -> usize {
        match &self.value {
            Value::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Value::Map(entries) => 1 + entries.iter().map(|e| e.value.size()).sum::<usize>(),
            _ => 1,
        }
    }
}

/// Escapes one reference token for a JSON pointer (`~` -> `~0`, `/` -> `~1`).
pub fn escape_pointer_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) { token.replace('~', "~0").replace('/', "~1").into() } else { token.into() }
}

fn unescape_pointer_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') { token.replace("~1", "/").replace("~0", "~").into() } else { token.into() }
}

/// Builds a JSON pointer from tokens, escaping each.
pub fn pointer_of<'a>(tokens: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for token in tokens {
        out.push('/');
        out.push_str(&escape_pointer_token(token));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Node {
        Node::new(Pos::default(), Value::String(v.into()))
    }

    fn map(entries: Vec<(&str, Node)>) -> Node {
        Node::new(
            Pos::default(),
            Value::Map(
                entries.into_iter().map(|(k, v)| Entry { key: k.into(), key_pos: Pos::default(), value: v }).collect(),
            ),
        )
    }

    #[test]
    fn last_duplicate_key_wins() {
        let m = map(vec![("a", s("1")), ("a", s("2"))]);
        assert_eq!(m.get("a").and_then(Node::as_str), Some("2"));
    }

    #[test]
    fn pointer_walks_maps_sequences_and_escapes() {
        let seq = Node::new(Pos::default(), Value::Seq(vec![s("x"), s("y")]));
        let m = map(vec![("a/b", map(vec![("c", seq)]))]);
        assert_eq!(m.pointer("/a~1b/c/1").and_then(Node::as_str), Some("y"));
        assert!(m.pointer("/a~1b/c/2").is_none());
        assert_eq!(pointer_of(["Resources", "a/b", "~x"]), "/Resources/a~1b/~0x");
    }

    #[test]
    fn intrinsic_needs_exactly_one_key() {
        let r = map(vec![("Ref", s("P"))]);
        assert_eq!(r.intrinsic().map(|(k, _)| k), Some("Ref"));
        let two = map(vec![("Ref", s("P")), ("Other", s("Q"))]);
        assert!(two.intrinsic().is_none());
        assert!(map(vec![("Name", s("P"))]).intrinsic().is_none());
    }
}
