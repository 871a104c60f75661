//! The JSON reader.
//!
//! Takes the bytes of one JSON document; gives either a positioned [`Node`]
//! for a slice of it or a one-line syntax error with line and column. The
//! whole document is validated by `serde_json` (borrowing, without building
//! a tree); only the slices that facts need are re-read here, by a small
//! parser that tracks positions and bounds nesting depth.

use super::error::LoadError;
use super::node::{Entry, Node, Pos, Value};

/// Deepest nesting accepted inside a positioned slice. CloudFormation
/// templates stay far below it; the bound keeps recursion (and the
/// recursive drop of the tree) off the edge of the stack.
pub const MAX_DEPTH: usize = 256;

/// Most values built into positioned trees from one file, by either
/// reader: what bounds a file's memory by its size rather than its shape.
/// A node costs about 100 bytes once built (more with the copies later
/// stages keep), so the budget holds peak memory to a few tens of MB per
/// file in flight, whatever the file holds. Real EKS resources use a few
/// hundred values each; a whole 5 MB CDK template (read whole only for
/// `--guard-rules`) about 200,000.
pub const MAX_NODES: usize = 250_000;

/// What is left of one file's [`MAX_NODES`], shared by every positioned
/// slice read from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    left: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Self { left: MAX_NODES }
    }
}

impl Budget {
    /// Spends `n` nodes; the error says where the budget ran out.
    pub fn spend(&mut self, n: usize, pos: Pos) -> Result<(), LoadError> {
        match self.left.checked_sub(n) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => {
                self.left = 0;
                Err(LoadError::TooLarge { within: String::new(), resource: None, message: too_large(pos) })
            }
        }
    }
}

/// The message for a file whose analysed parts exceed [`MAX_NODES`].
pub fn too_large(pos: Pos) -> String {
    format!(
        "too large to analyse: more than {MAX_NODES} values in the parts eksguard reads \
         (the most it builds from one file) at line {} column {}",
        pos.line, pos.column
    )
}

/// Position of the byte at `offset` in `text`: 1-based line, 1-based
/// column counted in characters. Scans from the start: for many look-ups
/// in one text use a [`Cursor`].
pub fn pos_at(text: &[u8], offset: usize) -> Pos {
    Cursor::default().pos_at(text, offset)
}

/// Positions of many offsets in one text, in linear time overall when the
/// offsets come in increasing order (as a reader meets them): each look-up
/// scans only from the previous one. A look-up behind the previous one
/// starts again from the beginning.
#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    offset: usize,
    line: usize,
    column: usize,
}

impl Default for Cursor {
    fn default() -> Self {
        Self { offset: 0, line: 1, column: 1 }
    }
}

impl Cursor {
    pub fn pos_at(&mut self, text: &[u8], offset: usize) -> Pos {
        let offset = offset.min(text.len());
        if offset < self.offset {
            *self = Self::default();
        }
        let between = &text[self.offset..offset];
        let chars = |bytes: &[u8]| bytes.iter().filter(|&&b| !is_continuation(b)).count();
        match memchr::memrchr(b'\n', between) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', between).count();
                self.column = chars(&between[last + 1..]) + 1;
            }
            None => self.column += chars(between),
        }
        self.offset = offset;
        Pos { line: clamp(self.line), column: clamp(self.column) }
    }
}

/// The text of the 1-based `line` of `text`, without its line break.
/// Scans from the start: for many look-ups in one text use a [`LineIndex`].
pub fn line_text(text: &[u8], line: u32) -> Option<&str> {
    let mut start = 0;
    for _ in 1..line {
        start += memchr::memchr(b'\n', &text[start..])? + 1;
    }
    line_at(text, start)
}

fn line_at(text: &[u8], start: usize) -> Option<&str> {
    let rest = text.get(start..)?;
    let end = memchr::memchr(b'\n', rest).map_or(text.len(), |i| start + i);
    let line = std::str::from_utf8(&text[start..end]).ok()?;
    Some(line.strip_suffix('\r').unwrap_or(line))
}

/// Where every line of a text starts, for quoting many lines of one text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
        Self { starts }
    }

    /// The text of the 1-based `line`, without its line break.
    pub fn line_text<'t>(&self, text: &'t [u8], line: u32) -> Option<&'t str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        line_at(text, *self.starts.get(index)?)
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Parses the JSON value in `slice`, whose first byte sits at `start` in
/// the enclosing document, within a fresh [`Budget`].
pub fn parse_positioned(slice: &[u8], start: Pos) -> Result<Node, LoadError> {
    parse_positioned_within(slice, start, &mut Budget::default())
}

/// [`parse_positioned`], spending the nodes it builds from `budget`.
pub fn parse_positioned_within(slice: &[u8], start: Pos, budget: &mut Budget) -> Result<Node, LoadError> {
    let mut p = Parser { bytes: slice, i: 0, line: start.line, column: start.column, budget };
    p.skip_ws();
    let node = p.value(0)?;
    p.skip_ws();
    if p.i != p.bytes.len() {
        return Err(p.error("trailing characters after the value"));
    }
    Ok(node)
}

struct Parser<'a> {
    bytes: &'a [u8],
    i: usize,
    line: u32,
    column: u32,
    budget: &'a mut Budget,
}

impl Parser<'_> {
    fn pos(&self) -> Pos {
        Pos { line: self.line, column: self.column }
    }

    fn error(&self, what: &str) -> LoadError {
        LoadError::Json(format!("invalid JSON: {what} at line {} column {}", self.line, self.column))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        if b == b'\n' {
            self.line = self.line.saturating_add(1);
            self.column = 1;
        } else if !is_continuation(b) {
            self.column = self.column.saturating_add(1);
        }
        Some(b)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    fn expect(&mut self, want: u8) -> Result<(), LoadError> {
        match self.bump() {
            Some(b) if b == want => Ok(()),
            _ => Err(self.error(&format!("expected `{}`", want as char))),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, LoadError> {
        if depth > MAX_DEPTH {
            return Err(LoadError::TooDeep(format!(
                "JSON nested deeper than {MAX_DEPTH} levels (the most eksguard reads) at line {} column {}",
                self.line, self.column
            )));
        }
        let pos = self.pos();
        self.budget.spend(1, pos)?;
        let value = match self.peek() {
            Some(b'{') => self.map(depth)?,
            Some(b'[') => self.seq(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.word("true", Value::Bool(true))?,
            Some(b'f') => self.word("false", Value::Bool(false))?,
            Some(b'n') => self.word("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error("expected a JSON value")),
            None => return Err(self.error("unexpected end of input")),
        };
        Ok(Node::new(pos, value))
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, LoadError> {
        if self.bytes[self.i..].starts_with(word.as_bytes()) {
            for _ in 0..word.len() {
                self.bump();
            }
            Ok(value)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value, LoadError> {
        let start = self.i;
        while matches!(self.peek(), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')) {
            self.bump();
        }
        let text = std::str::from_utf8(&self.bytes[start..self.i]).map_err(|_| self.error("invalid number"))?;
        if text.parse::<f64>().is_err() {
            return Err(self.error("invalid number"));
        }
        Ok(Value::Number(text.to_owned()))
    }

    fn string(&mut self) -> Result<String, LoadError> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            let run =
                memchr::memchr2(b'"', b'\\', &self.bytes[self.i..]).ok_or_else(|| self.error("unterminated string"))?;
            let chunk = &self.bytes[self.i..self.i + run];
            if chunk.iter().any(|&b| b < 0x20) {
                return Err(self.error("control character in string"));
            }
            out.extend_from_slice(chunk);
            // Strings hold no raw newlines, so only the column moves.
            let chars = chunk.iter().filter(|&&b| !is_continuation(b)).count();
            self.column = self.column.saturating_add(clamp(chars));
            self.i += run;
            match self.bump() {
                Some(b'"') => break,
                Some(b'\\') => self.escape(&mut out)?,
                _ => return Err(self.error("unterminated string")),
            }
        }
        String::from_utf8(out).map_err(|_| self.error("invalid UTF-8 in string"))
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), LoadError> {
        let c = match self.bump() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let hi = self.hex4()?;
                if (0xD800..0xDC00).contains(&hi) {
                    if self.bump() != Some(b'\\') || self.bump() != Some(b'u') {
                        return Err(self.error("unpaired surrogate in string"));
                    }
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.error("unpaired surrogate in string"));
                    }
                    let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    char::from_u32(code).ok_or_else(|| self.error("invalid escape"))?
                } else {
                    char::from_u32(hi).ok_or_else(|| self.error("unpaired surrogate in string"))?
                }
            }
            _ => return Err(self.error("invalid escape")),
        };
        let mut buf = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, LoadError> {
        let mut n = 0;
        for _ in 0..4 {
            let d = self.bump().and_then(|b| (b as char).to_digit(16));
            n = n * 16 + d.ok_or_else(|| self.error("invalid \\u escape"))?;
        }
        Ok(n)
    }

    fn seq(&mut self, depth: usize) -> Result<Value, LoadError> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump();
            return Ok(Value::Seq(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.bump() {
                Some(b',') => continue,
                Some(b']') => return Ok(Value::Seq(items)),
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn map(&mut self, depth: usize) -> Result<Value, LoadError> {
        self.expect(b'{')?;
        let mut entries = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(Value::Map(entries));
        }
        loop {
            self.skip_ws();
            let key_pos = self.pos();
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            entries.push(Entry { key, key_pos, value });
            self.skip_ws();
            match self.bump() {
                Some(b',') => continue,
                Some(b'}') => return Ok(Value::Map(entries)),
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: Pos = Pos { line: 1, column: 1 };

    #[test]
    fn positions_follow_lines_and_characters() {
        let text = b"{\n  \"a\": \"\xc3\xa9\",\n  \"b\": [1, {\"c\": true}]\n}";
        let node = parse_positioned(text, START).expect("valid");
        let a = node.entry("a").expect("a");
        assert_eq!(a.key_pos, Pos { line: 2, column: 3 });
        assert_eq!(a.value.pos, Pos { line: 2, column: 8 });
        assert_eq!(a.value.as_str(), Some("é"));
        let c = node.pointer("/b/1/c").expect("c");
        assert_eq!(c.pos, Pos { line: 3, column: 18 });
        assert_eq!(c.value, Value::Bool(true));
        assert_eq!(pos_at(text, 13), Pos { line: 2, column: 11 });
    }

    #[test]
    fn escapes_and_surrogates_decode() {
        let node = parse_positioned(br#""a\"\n\u00e9\ud83d\ude00""#, START).expect("valid");
        assert_eq!(node.as_str(), Some("a\"\né😀"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = parse_positioned(b"{\n  \"a\": tru\n}", START).expect_err("invalid");
        assert_eq!(err, LoadError::Json("invalid JSON: expected a JSON value at line 2 column 8".to_owned()));
        assert!(parse_positioned(b"\"abc", START).is_err());
        assert!(parse_positioned(b"[1,]", START).is_err());
        assert!(parse_positioned(b"{} x", START).is_err());
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(MAX_DEPTH + 5) + &"]".repeat(MAX_DEPTH + 5);
        let err = parse_positioned(deep.as_bytes(), START).expect_err("too deep");
        assert!(matches!(&err, LoadError::TooDeep(m) if m.starts_with("JSON nested deeper than")), "{err}");
    }

    #[test]
    fn nodes_are_bounded_per_budget() {
        let list = format!("[{}1]", "1,".repeat(MAX_NODES));
        let err = parse_positioned(list.as_bytes(), START).expect_err("too many");
        assert!(matches!(&err, LoadError::TooLarge { resource: None, .. }), "{err}");
        assert!(err.to_string().starts_with("too large to analyse"), "{err}");
        let fits = format!("[{}1]", "1,".repeat(MAX_NODES - 2));
        assert!(parse_positioned(fits.as_bytes(), START).is_ok());
        // One budget across slices of one file.
        let mut budget = Budget::default();
        let half = format!("[{}1]", "1,".repeat(MAX_NODES / 2));
        assert!(parse_positioned_within(half.as_bytes(), START, &mut budget).is_ok());
        assert!(parse_positioned_within(half.as_bytes(), START, &mut budget).is_err());
    }

    #[test]
    fn line_text_finds_lines() {
        let text = b"one\r\ntwo\nthree";
        assert_eq!(line_text(text, 1), Some("one"));
        assert_eq!(line_text(text, 3), Some("three"));
        assert_eq!(line_text(text, 4), None);
        let index = LineIndex::new(text);
        for line in 0..6 {
            assert_eq!(index.line_text(text, line), line_text(text, line).filter(|_| line > 0), "line {line}");
        }
    }

    #[test]
    fn cursor_agrees_with_a_fresh_scan_in_any_order() {
        let text = "ab\n\u{e9}c\n\nxyz\r\n\u{1F600}!".as_bytes();
        let mut cursor = Cursor::default();
        for offset in (0..=text.len()).chain((0..=text.len()).rev()).chain([3, 9, 1, 20]) {
            let mut fresh = Cursor::default();
            assert_eq!(cursor.pos_at(text, offset), fresh.pos_at(text, offset), "offset {offset}");
        }
        assert_eq!(pos_at(text, 6), Pos { line: 2, column: 3 });
    }
}
