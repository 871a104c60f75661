//! A fast path for the YAML most templates are written in.
//!
//! Takes the text of a YAML stream; gives the events `saphyr-parser` would
//! give for it, with the same positions, or `None` when the text uses
//! anything outside a plain subset: block mappings and sequences, plain and
//! quoted scalars on one line, literal block scalars, one-line flow
//! collections, comments and CloudFormation's `!Tag` short forms, in
//! printable ASCII without tabs. `None` is never an answer about validity:
//! the caller then reads the text with `saphyr-parser`, so every error
//! message, and every construct outside the subset, stays the parser's.
//!
//! Why: on a sweep, saphyr's scanner is the largest cost (it allocates a
//! string for every scalar); this path borrows every scalar it can from
//! the text. Whenever it answers, the answer equals saphyr's: unit tests
//! check that on every construct it takes, a test compares the two on
//! every YAML file of the corpora, and the `yaml_fast` fuzz target
//! compares them on arbitrary input. It only ever accepts: when in doubt
//! (an odd indentation, a scalar that might continue on the next line, a
//! key that might be too long), it gives up.

use std::borrow::Cow;
use std::sync::LazyLock;

use saphyr_parser::{Event, ScalarStyle, Tag};

use super::node::Pos;

/// Longest implicit key taken (YAML allows 1024 characters).
const MAX_KEY: usize = 1000;

/// Deepest nesting taken; deeper input goes to saphyr, whose recursion
/// limit gives the error.
const MAX_DEPTH: usize = 100;

/// Most events gathered (96 bytes each: 12 MiB, a YAML file of about
/// 2 MB): a larger stream goes to saphyr, whose events are built into a
/// tree one at a time, within the reader's node budget, rather than all
/// held at once.
const MAX_EVENTS: usize = 131_072;

/// Room for the events pushed between two checks of [`MAX_EVENTS`]: a
/// collection's start and first key on the way in, ends on the way out.
const EVENT_SLACK: usize = 4 * MAX_DEPTH + 64;

/// CloudFormation's short-form tags, made once and lent to every event.
static SHORT_FORM_TAGS: LazyLock<Vec<Tag>> = LazyLock::new(|| {
    super::yaml_tree::SHORT_FORMS
        .iter()
        .map(|(short, _)| Tag { handle: "!".to_owned(), suffix: (*short).to_owned() })
        .collect()
});

/// The events of `text` with their start positions, when the whole text is
/// in the subset this path reads; otherwise `None`.
pub fn events(text: &str) -> Option<Vec<(Event<'_>, Pos)>> {
    let b = text.as_bytes();
    // Printable ASCII and line feeds only: columns are then byte offsets,
    // and no tab, carriage return, byte order mark or control character
    // needs YAML's special cases.
    if b.is_empty() || !b.iter().all(|&c| c == b'\n' || (b' '..=b'~').contains(&c)) {
        return None;
    }
    let capacity = (b.len() / 16).min(MAX_EVENTS + EVENT_SLACK);
    let mut f = Fast { b, text, i: 0, line: 1, line_start: 0, depth: 0, out: Vec::with_capacity(capacity) };
    f.stream()?;
    Some(f.out)
}

struct Fast<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    line: usize,
    line_start: usize,
    depth: usize,
    out: Vec<(Event<'a>, Pos)>,
}

/// What a quoted scalar's reader finds at the cursor: an escape and the
/// character it stands for, one it does not take (the file is left to
/// saphyr), or none.
enum Escape {
    Char(char),
    GiveUp,
    None,
}

/// A scalar read from the text.
struct Scalar<'a> {
    text: Cow<'a, str>,
    style: ScalarStyle,
    pos: Pos,
}

/// A node's tag, with where the node then starts (at its tag).
type Tagged<'a> = Option<(Cow<'a, Tag>, Pos)>;

/// The tag of an event, and its start: the tag's when there is one.
fn split<'a>(tag: Tagged<'a>, pos: Pos) -> (Option<Cow<'a, Tag>>, Pos) {
    match tag {
        Some((tag, at)) => (Some(tag), at),
        None => (None, pos),
    }
}

impl<'a> Fast<'a> {
    fn at(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    fn col(&self) -> usize {
        self.i - self.line_start
    }

    fn pos(&self) -> Pos {
        self.pos_at(self.i)
    }

    fn pos_at(&self, i: usize) -> Pos {
        Pos {
            line: u32::try_from(self.line).unwrap_or(u32::MAX),
            column: u32::try_from(i - self.line_start + 1).unwrap_or(u32::MAX),
        }
    }

    fn eol(&self) -> bool {
        matches!(self.at(0), b'\n' | 0)
    }

    fn emit(&mut self, event: Event<'a>, pos: Pos) {
        if self.out.len() == self.out.capacity() {
            // Doubling, but never past what [`MAX_EVENTS`] lets through.
            let grown = (self.out.capacity() * 2).clamp(64, MAX_EVENTS + EVENT_SLACK);
            self.out.reserve_exact(grown.saturating_sub(self.out.len()).max(1));
        }
        self.out.push((event, pos));
    }

    fn skip_spaces(&mut self) {
        while self.at(0) == b' ' {
            self.i += 1;
        }
    }

    /// After a token: blanks, then a comment or the end of the line.
    fn rest_of_line_is_blank(&mut self) -> Option<()> {
        self.skip_spaces();
        if self.at(0) == b'#' {
            // A comment needs a blank before it.
            if self.i == self.line_start || self.b[self.i - 1] != b' ' {
                return None;
            }
            while !self.eol() {
                self.i += 1;
            }
        }
        self.eol().then_some(())
    }

    /// Moves past blank and comment-only lines to the next content, and
    /// gives its column; `None` at the end of the text. Starts at the end
    /// of a line (or the start of the text).
    fn next_content(&mut self) -> Option<Option<usize>> {
        loop {
            self.skip_spaces();
            match self.at(0) {
                0 => return Some(None),
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                    self.line_start = self.i;
                    // Document markers and directives start a new document
                    // (or end one): outside the subset.
                    let rest = &self.b[self.i..];
                    if rest.starts_with(b"---") || rest.starts_with(b"...") || rest.starts_with(b"%") {
                        return None;
                    }
                }
                b'#' => {
                    if self.i != self.line_start && self.b[self.i - 1] != b' ' {
                        return None;
                    }
                    while !self.eol() {
                        self.i += 1;
                    }
                }
                _ => return Some(Some(self.col())),
            }
        }
    }

    fn stream(&mut self) -> Option<()> {
        self.emit(Event::StreamStart, Pos { line: 1, column: 1 });
        // Blank and comment lines, then at most one `---` that starts the
        // one document.
        let mut explicit = None;
        loop {
            let rest = &self.b[self.i..];
            if rest.starts_with(b"%") || rest.starts_with(b"...") {
                return None;
            }
            if rest.starts_with(b"---") && matches!(rest.get(3), None | Some(b' ' | b'\n')) {
                explicit = Some(self.pos());
                self.i += 3;
                self.rest_of_line_is_blank()?;
                break;
            }
            self.skip_spaces();
            match self.at(0) {
                b'#' => {
                    while !self.eol() {
                        self.i += 1;
                    }
                }
                b'\n' => {}
                0 => return None,
                _ => {
                    self.i = self.line_start;
                    break;
                }
            }
            if self.at(0) != b'\n' {
                return None;
            }
            self.i += 1;
            self.line += 1;
            self.line_start = self.i;
        }
        self.next_content()??;
        match explicit {
            Some(at) => self.emit(Event::DocumentStart(true), at),
            None => self.emit(Event::DocumentStart(false), self.pos()),
        }
        self.node(None, false)?;
        if self.next_content()?.is_some() {
            return None;
        }
        let end = self.pos();
        self.emit(Event::DocumentEnd, end);
        self.emit(Event::StreamEnd, end);
        Some(())
    }

    /// A node starting at the cursor, whose parent collection sits at
    /// column `parent` (none for the document's root). `inline` is true
    /// after `key: ` on the same line, where only a scalar or a flow
    /// collection may follow.
    fn node(&mut self, parent: Option<usize>, inline: bool) -> Option<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH || self.out.len() >= MAX_EVENTS {
            return None;
        }
        let r = self.node_inner(parent, inline);
        self.depth -= 1;
        r
    }

    fn node_inner(&mut self, parent: Option<usize>, inline: bool) -> Option<()> {
        let col = self.col();
        if self.at(0) == b'-' && matches!(self.at(1), b' ' | b'\n' | 0) {
            if inline {
                return None;
            }
            return self.block_seq(col, None, false);
        }
        if self.at(0) == b'!' {
            let tag = self.tag()?;
            if self.at(0) == b' ' {
                self.skip_spaces();
            }
            if self.eol() || self.at(0) == b'#' {
                // The tagged node is a block collection on the next lines,
                // or, with none there, an empty scalar.
                self.rest_of_line_is_blank()?;
                let (i, line, line_start) = (self.i, self.line, self.line_start);
                let below = self.next_content()?;
                let Some(c) = below.filter(|&c| parent.is_none_or(|p| c > p)) else {
                    parent?;
                    (self.i, self.line, self.line_start) = (i, line, line_start);
                    let (tag, pos) = tag;
                    self.emit(Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, Some(tag)), pos);
                    return Some(());
                };
                if self.at(0) == b'-' && matches!(self.at(1), b' ' | b'\n' | 0) {
                    return self.block_seq(c, Some(tag), false);
                }
                if self.implicit_key().is_some() {
                    return self.block_map(c, Some(tag));
                }
                return None;
            }
            return self.inline_value(parent, Some(tag));
        }
        if !inline && self.implicit_key().is_some() {
            return self.block_map(col, None);
        }
        self.inline_value(parent, None)
    }

    /// `!Name`: the local tags CloudFormation's short forms use.
    fn tag(&mut self) -> Option<(Cow<'a, Tag>, Pos)> {
        let pos = self.pos();
        let start = self.i + 1;
        let mut end = start;
        while self.b.get(end).is_some_and(u8::is_ascii_alphanumeric) {
            end += 1;
        }
        if end == start || !matches!(self.b.get(end).copied().unwrap_or(0), b' ' | b'\n' | 0) {
            return None;
        }
        self.i = end;
        let suffix = &self.text[start..end];
        let tag = match SHORT_FORM_TAGS.iter().find(|t| t.suffix == suffix) {
            Some(known) => Cow::Borrowed(known),
            None => Cow::Owned(Tag { handle: "!".to_owned(), suffix: suffix.to_owned() }),
        };
        Some((tag, pos))
    }

    /// A scalar, a flow collection or a literal block scalar that starts on
    /// this line; then nothing but a comment may follow on it, and no more
    /// indented line may follow (it would continue the scalar, or be an
    /// error).
    fn inline_value(&mut self, parent: Option<usize>, tag: Tagged<'a>) -> Option<()> {
        match self.at(0) {
            b'[' | b'{' => {
                self.flow(tag)?;
                self.rest_of_line_is_blank()?;
            }
            b'|' => return self.block_text(parent, tag, false),
            b'>' => return self.block_text(parent, tag, true),
            _ => {
                let mut s = self.block_scalar()?;
                if let (ScalarStyle::Plain, Some(parent)) = (s.style, parent) {
                    s = self.plain_continued(parent, s)?;
                }
                let (tag, pos) = split(tag, s.pos);
                self.emit(Event::Scalar(s.text, s.style, 0, tag), pos);
                self.rest_of_line_is_blank()?;
            }
        }
        self.no_continuation(parent)
    }

    /// A plain scalar continued on the next lines, those more indented than
    /// `parent`: each line trimmed, lines joined by a space, or by line
    /// breaks where empty lines lie between. A comment ends it. The cursor
    /// starts and ends after the scalar's last character.
    fn plain_continued(&mut self, parent: usize, first: Scalar<'a>) -> Option<Scalar<'a>> {
        let mut joined: Option<String> = None;
        loop {
            let mut j = self.i;
            while self.b.get(j) == Some(&b' ') {
                j += 1;
            }
            if self.b.get(j) != Some(&b'\n') {
                break;
            }
            // Empty lines, then the next line with content.
            let (mut breaks, mut line, mut start) = (0usize, self.line, j + 1);
            let indent = loop {
                line += 1;
                let spaces = self.b[start..].iter().take_while(|&&c| c == b' ').count();
                match self.b.get(start + spaces) {
                    Some(b'\n') => {
                        breaks += 1;
                        start += spaces + 1;
                    }
                    Some(_) => break Some(spaces),
                    None => break None,
                }
            };
            let Some(indent) = indent.filter(|&k| k > parent) else { break };
            let c = self.b[start + indent];
            if matches!(
                c,
                b'#' | b'-'
                    | b'?'
                    | b':'
                    | b','
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'\''
                    | b'"'
                    | b'%'
                    | b'@'
                    | b'`'
            ) {
                return None;
            }
            (self.line, self.line_start, self.i) = (line, start, start + indent);
            let stop = self.plain_stop_in_block();
            if self.b.get(stop) == Some(&b':') {
                return None;
            }
            let mut end = stop;
            while self.b[end - 1] == b' ' {
                end -= 1;
            }
            let text = joined.get_or_insert_with(|| first.text.to_string());
            if breaks == 0 {
                text.push(' ');
            }
            for _ in 0..breaks {
                text.push('\n');
            }
            text.push_str(&self.text[start + indent..end]);
            self.i = end;
            if self.b.get(stop) == Some(&b'#') {
                break;
            }
        }
        Some(match joined {
            Some(text) => Scalar { text: Cow::Owned(text), ..first },
            None => first,
        })
    }

    /// The next content line must not be more indented than `parent`.
    fn no_continuation(&mut self, parent: Option<usize>) -> Option<()> {
        let (i, line, line_start) = (self.i, self.line, self.line_start);
        let next = self.next_content()?;
        (self.i, self.line, self.line_start) = (i, line, line_start);
        match (next, parent) {
            (None, _) => Some(()),
            (Some(_), None) => None,
            (Some(c), Some(p)) => (c <= p).then_some(()),
        }
    }

    /// A one-line scalar in block context: plain or quoted.
    fn block_scalar(&mut self) -> Option<Scalar<'a>> {
        match self.at(0) {
            b'\'' => self.single_quoted(),
            b'"' => self.double_quoted(),
            _ => {
                let s = self.plain(false)?;
                // `a: b: c`, or a plain scalar that is a key where a value
                // belongs: an error for the parser.
                if self.at(0) == b':' {
                    return None;
                }
                Some(s)
            }
        }
    }

    /// A plain scalar on this line. Stops before `: `, ` #`, the end of the
    /// line and, in flow context, a flow indicator.
    fn plain(&mut self, flow: bool) -> Option<Scalar<'a>> {
        let first = self.at(0);
        let safe_start = match first {
            b'-' | b'?' | b':' => {
                let next = self.at(1);
                next != b' '
                    && next != b'\n'
                    && next != 0
                    && !(flow && matches!(next, b',' | b'[' | b']' | b'{' | b'}'))
                    && (first == b'-' || !flow)
            }
            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@'
            | b'`' | b' ' | b'\n' | 0 => false,
            _ => true,
        };
        if !safe_start {
            return None;
        }
        let pos = self.pos();
        let start = self.i;
        let mut end = if flow { self.plain_stop_in_flow()? } else { self.plain_stop_in_block() };
        while end > start && self.b[end - 1] == b' ' {
            end -= 1;
        }
        self.i = end;
        Some(Scalar { text: Cow::Borrowed(&self.text[start..end]), style: ScalarStyle::Plain, pos })
    }

    /// Where a plain scalar in block context starting at the cursor stops:
    /// at the end of the line, a comment (`#` after a blank) or `: `.
    fn plain_stop_in_block(&self) -> usize {
        let mut j = self.i;
        while let Some(k) = memchr::memchr3(b'\n', b'#', b':', &self.b[j..]) {
            let at = j + k;
            match self.b[at] {
                b'\n' => return at,
                b'#' if self.b[at - 1] == b' ' => return at,
                b':' if matches!(self.b.get(at + 1), Some(b' ' | b'\n') | None) => return at,
                _ => j = at + 1,
            }
        }
        self.b.len()
    }

    /// The same in flow context, where flow indicators stop it too. `None`
    /// where a `-` meets a flow indicator (`-]`), which saphyr rejects
    /// after a blank: such text is left to it.
    fn plain_stop_in_flow(&self) -> Option<usize> {
        let mut j = self.i;
        while let Some(&c) = self.b.get(j) {
            let next = self.b.get(j + 1).copied().unwrap_or(0);
            match c {
                b'\n' | b',' | b'[' | b']' | b'{' | b'}' => return Some(j),
                b'#' if self.b[j - 1] == b' ' => return Some(j),
                b':' if matches!(next, b' ' | b'\n' | b',' | b'[' | b']' | b'{' | b'}' | 0) => return Some(j),
                b'-' if matches!(next, b',' | b'[' | b']' | b'{' | b'}') => return None,
                _ => j += 1,
            }
        }
        Some(j)
    }

    /// `'...'` on one line, `''` for a quote.
    fn single_quoted(&mut self) -> Option<Scalar<'a>> {
        self.quoted(ScalarStyle::SingleQuoted, b'\'', |this| match (this.at(0), this.at(1)) {
            (b'\'', b'\'') => Escape::Char('\''),
            _ => Escape::None,
        })
    }

    /// `"..."` on one line, with the common escapes.
    fn double_quoted(&mut self) -> Option<Scalar<'a>> {
        self.quoted(ScalarStyle::DoubleQuoted, b'"', |this| {
            if this.at(0) != b'\\' {
                return Escape::None;
            }
            Escape::Char(match this.at(1) {
                b'\\' => '\\',
                b'"' => '"',
                b'/' => '/',
                b'n' => '\n',
                b't' => '\t',
                b'r' => '\r',
                b'0' => '\0',
                b' ' => ' ',
                _ => return Escape::GiveUp,
            })
        })
    }

    /// A quoted scalar on one line, closed by `quote`; `escape` reads the
    /// two-byte escape at the cursor (`''`, `\n`), if there is one. The
    /// text is borrowed up to the first escape, then copied.
    fn quoted(&mut self, style: ScalarStyle, quote: u8, escape: impl Fn(&Self) -> Escape) -> Option<Scalar<'a>> {
        let pos = self.pos();
        self.i += 1;
        let start = self.i;
        let mut owned: Option<String> = None;
        loop {
            match escape(self) {
                Escape::Char(c) => {
                    owned.get_or_insert_with(|| self.text[start..self.i].to_owned()).push(c);
                    self.i += 2;
                    continue;
                }
                Escape::GiveUp => return None,
                Escape::None => {}
            }
            match self.at(0) {
                0 | b'\n' => return None,
                c if c == quote => break,
                c => {
                    if let Some(s) = owned.as_mut() {
                        s.push(char::from(c));
                    }
                    self.i += 1;
                }
            }
        }
        let text = owned.map_or(Cow::Borrowed(&self.text[start..self.i]), Cow::Owned);
        self.i += 1;
        Some(Scalar { text, style, pos })
    }

    /// Whether the cursor is at an implicit key (`key:` then a blank or the
    /// end of the line). Does not move the cursor.
    fn implicit_key(&mut self) -> Option<()> {
        let (i, line, line_start) = (self.i, self.line, self.line_start);
        let found = self.key().map(|_| ());
        (self.i, self.line, self.line_start) = (i, line, line_start);
        found
    }

    /// Reads `key:` and gives the key; the cursor ends after the colon.
    fn key(&mut self) -> Option<Scalar<'a>> {
        let start = self.i;
        let s = match self.at(0) {
            b'\'' => self.single_quoted()?,
            b'"' => self.double_quoted()?,
            _ => self.plain(false)?,
        };
        if s.style == ScalarStyle::Plain {
            // `key : value`: blanks may sit between a plain key and its colon.
            self.skip_spaces();
        }
        if self.i - start > MAX_KEY || self.at(0) != b':' || !matches!(self.at(1), b' ' | b'\n' | 0) {
            return None;
        }
        self.i += 1;
        Some(s)
    }

    fn block_map(&mut self, col: usize, tag: Tagged<'a>) -> Option<()> {
        let (tag, pos) = split(tag, self.pos());
        self.emit(Event::MappingStart(0, tag), pos);
        loop {
            let key = self.key()?;
            self.emit(Event::Scalar(key.text, key.style, 0, None), key.pos);
            let colon = self.pos_at(self.i - 1);
            self.skip_spaces();
            if self.eol() || self.at(0) == b'#' {
                self.value_below(col, Some(colon))?;
            } else {
                self.node(Some(col), true)?;
            }
            // The next entry, or the end of the mapping.
            let (i, line, line_start) = (self.i, self.line, self.line_start);
            match self.next_content()? {
                Some(c) if c == col => {
                    if self.at(0) == b'-' && matches!(self.at(1), b' ' | b'\n' | 0) {
                        return None;
                    }
                }
                Some(c) if c > col => return None,
                _ => {
                    (self.i, self.line, self.line_start) = (i, line, line_start);
                    break;
                }
            }
        }
        let pos = self.pos();
        self.emit(Event::MappingEnd, pos);
        Some(())
    }

    /// The value of a key or sequence item at column `col` whose line ends
    /// after the indicator: a node on the next lines, or empty. In a
    /// mapping (`in_map`), a block sequence may sit at the key's column.
    /// An empty value is located, as saphyr locates it, at a key's colon
    /// (`colon`, given in a mapping) or at the end of an item's line.
    fn value_below(&mut self, col: usize, colon: Option<Pos>) -> Option<()> {
        let in_map = colon.is_some();
        self.rest_of_line_is_blank()?;
        let empty_at = colon.unwrap_or_else(|| self.pos());
        let (i, line, line_start) = (self.i, self.line, self.line_start);
        match self.next_content()? {
            Some(c) if c > col => return self.node(Some(col), false),
            Some(c) if c == col && in_map && self.at(0) == b'-' && matches!(self.at(1), b' ' | b'\n' | 0) => {
                return self.block_seq(c, None, true);
            }
            _ => {}
        }
        (self.i, self.line, self.line_start) = (i, line, line_start);
        self.emit(Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None), empty_at);
        Some(())
    }

    fn block_seq(&mut self, col: usize, tag: Tagged<'a>, compact: bool) -> Option<()> {
        // A sequence at its key's column starts, for the parser, at its
        // first item's content.
        let mut at = self.pos();
        if compact {
            let content = self.b[self.i + 1..].iter().take_while(|&&c| c == b' ').count();
            if matches!(self.b.get(self.i + 1 + content).copied().unwrap_or(0), b'\n' | b'#' | 0) {
                return None;
            }
            at = self.pos_at(self.i + 1 + content);
        }
        let (tag, pos) = split(tag, at);
        self.emit(Event::SequenceStart(0, tag), pos);
        loop {
            // At `-`.
            self.i += 1;
            self.skip_spaces();
            if self.eol() || self.at(0) == b'#' {
                self.value_below(col, None)?;
            } else {
                self.node(Some(col), false)?;
            }
            let (i, line, line_start) = (self.i, self.line, self.line_start);
            match self.next_content()? {
                Some(c) if c == col && self.at(0) == b'-' && matches!(self.at(1), b' ' | b'\n' | 0) => {}
                Some(c) if c > col => return None,
                _ => {
                    (self.i, self.line, self.line_start) = (i, line, line_start);
                    break;
                }
            }
        }
        let pos = self.pos();
        self.emit(Event::SequenceEnd, pos);
        Some(())
    }

    /// A one-line flow collection.
    fn flow(&mut self, tag: Tagged<'a>) -> Option<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let (tag, pos) = split(tag, self.pos());
        let seq = self.at(0) == b'[';
        let close = if seq { b']' } else { b'}' };
        self.emit(if seq { Event::SequenceStart(0, tag) } else { Event::MappingStart(0, tag) }, pos);
        self.i += 1;
        self.skip_spaces();
        if self.at(0) == close {
            self.i += 1;
        } else {
            loop {
                if !seq {
                    let key = self.flow_scalar()?;
                    if self.at(0) != b':' || self.at(1) != b' ' {
                        return None;
                    }
                    self.emit(Event::Scalar(key.text, key.style, 0, None), key.pos);
                    self.i += 1;
                    self.skip_spaces();
                }
                self.flow_node()?;
                self.skip_spaces();
                match self.at(0) {
                    b',' => {
                        self.i += 1;
                        self.skip_spaces();
                        if matches!(self.at(0), b']' | b'}' | b',') {
                            return None;
                        }
                    }
                    c if c == close => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        let end = self.pos();
        self.emit(if seq { Event::SequenceEnd } else { Event::MappingEnd }, end);
        Some(())
    }

    /// A node inside a flow collection.
    fn flow_node(&mut self) -> Option<()> {
        if self.out.len() >= MAX_EVENTS {
            return None;
        }
        let tag = if self.at(0) == b'!' {
            let tag = self.tag()?;
            if self.at(0) != b' ' {
                return None;
            }
            self.skip_spaces();
            Some(tag)
        } else {
            None
        };
        if matches!(self.at(0), b'[' | b'{') {
            return self.flow(tag);
        }
        let s = self.flow_scalar()?;
        // `[a: b]` is a mapping of one pair: outside the subset.
        if self.at(0) == b':' {
            return None;
        }
        let (tag, pos) = split(tag, s.pos);
        self.emit(Event::Scalar(s.text, s.style, 0, tag), pos);
        Some(())
    }

    fn flow_scalar(&mut self) -> Option<Scalar<'a>> {
        match self.at(0) {
            b'\'' => self.single_quoted(),
            b'"' => self.double_quoted(),
            _ => {
                let s = self.plain(true)?;
                if s.text.is_empty() { None } else { Some(s) }
            }
        }
    }

    /// A literal (`|`) or folded (`>`) block scalar, with its chomping
    /// indicator (`-`, `+`) if any, and the lines under it. Folded text
    /// with more-indented lines (kept as they are) is left to saphyr.
    fn block_text(&mut self, parent: Option<usize>, tag: Tagged<'a>, folded: bool) -> Option<()> {
        let tag_at = tag.as_ref().map(|(_, at)| *at);
        self.i += 1;
        let chomp = match self.at(0) {
            b'-' => {
                self.i += 1;
                Chomp::Strip
            }
            b'+' => {
                self.i += 1;
                Chomp::Keep
            }
            _ => Chomp::Clip,
        };
        self.rest_of_line_is_blank()?;
        let parent_col = parent?;
        // The content's indentation: the first line's (no leading blank
        // lines: their rules are subtle).
        if self.at(0) != b'\n' {
            return None;
        }
        let first = self.i + 1;
        let indent = self.b[first..].iter().take_while(|&&c| c == b' ').count();
        let after = self.b.get(first + indent).copied().unwrap_or(0);
        if indent <= parent_col || after == b'\n' || after == 0 {
            return None;
        }
        // The scalar starts, for the parser, at its first line's content.
        let pos = tag_at.unwrap_or(Pos {
            line: u32::try_from(self.line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(indent + 1).unwrap_or(u32::MAX),
        });
        let tag = tag.map(|(t, _)| t);
        let mut text = String::new();
        let mut trailing_breaks = 0usize;
        // Walk the lines that belong to the scalar.
        loop {
            if self.at(0) != b'\n' {
                break;
            }
            let next = self.i + 1;
            let spaces = self.b[next..].iter().take_while(|&&c| c == b' ').count();
            let c = self.b.get(next + spaces).copied().unwrap_or(0);
            if c == b'\n' || c == 0 {
                if c == 0 && spaces > 0 {
                    return None;
                }
                if c == 0 {
                    // The text's last line break ends the scalar.
                    self.i += 1;
                    self.line += 1;
                    self.line_start = self.i;
                    break;
                }
                if spaces > indent {
                    return None;
                }
                trailing_breaks += 1;
                self.i = next + spaces;
                self.line += 1;
                self.line_start = next;
                continue;
            }
            if spaces < indent {
                break;
            }
            if folded && self.b[next + indent] == b' ' {
                return None;
            }
            if folded && !text.is_empty() {
                // Folding: a single break between lines is a space; with
                // empty lines between, only they are breaks.
                text.pop();
                if trailing_breaks == 0 {
                    text.push(' ');
                }
            }
            // A content line: the breaks before it are content too.
            for _ in 0..trailing_breaks {
                text.push('\n');
            }
            trailing_breaks = 0;
            self.line += 1;
            self.line_start = next;
            let end = self.b[next..].iter().position(|&c| c == b'\n').map_or(self.b.len(), |e| next + e);
            text.push_str(&self.text[next + indent..end]);
            text.push('\n');
            self.i = end;
        }
        match chomp {
            Chomp::Strip => {
                text.pop();
            }
            Chomp::Clip => {}
            Chomp::Keep => {
                for _ in 0..trailing_breaks {
                    text.push('\n');
                }
            }
        }
        let style = if folded { ScalarStyle::Folded } else { ScalarStyle::Literal };
        self.emit(Event::Scalar(Cow::Owned(text), style, 0, tag), pos);
        // The cursor ends at the end of a line, for the caller.
        self.eol().then_some(())
    }
}

#[derive(Clone, Copy)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

/// Whether [`events`] agrees with `saphyr-parser` on `text`: `Ok` when the
/// fast path gives up or gives saphyr's events and positions, else what
/// differs. For tests and the `yaml_fast` fuzz target.
pub fn check_against_saphyr(text: &str) -> Result<(), String> {
    let Some(fast) = events(text) else { return Ok(()) };
    let mut slow = Vec::new();
    for event in saphyr_parser::Parser::new_from_str(text) {
        match event {
            Ok((event, span)) => {
                let pos = Pos {
                    line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
                    column: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
                };
                slow.push((event, pos));
            }
            Err(e) => return Err(format!("fast path accepted what saphyr rejects: {e}")),
        }
    }
    if fast.len() != slow.len() {
        return Err(format!("{} events, saphyr gives {}:\n{fast:?}\n{slow:?}", fast.len(), slow.len()));
    }
    for (n, ((fe, fp), (se, sp))) in fast.iter().zip(&slow).enumerate() {
        let positioned = matches!(fe, Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..));
        if fe != se || (positioned && fp != sp) {
            return Err(format!("event {n}: {fe:?} at {fp:?}, saphyr gives {se:?} at {sp:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agrees(text: &str) {
        assert!(events(text).is_some(), "the fast path should take:\n{text}");
        check_against_saphyr(text).unwrap_or_else(|e| panic!("{e}\n--- on:\n{text}"));
    }

    fn declines(text: &str) {
        assert!(events(text).is_none(), "the fast path should leave to saphyr:\n{text}");
    }

    #[test]
    fn block_mappings_and_sequences() {
        agrees("a: 1\nb: two words\nc:\n  d: x\n  e:\n    - 1\n    - 2\nf:\n- x\n- y\ng: z\n");
        agrees(
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      Tags:\n        - Key: team\n          Value: x\n        - Key: y\n          Value: z\n",
        );
        agrees("- a\n- - b\n  - c\n- d: 1\n  e: 2\n");
        agrees("a:\nb:\nc: 1\n");
        agrees("a:\n  - \n  - x\n");
        agrees("a:   # comment\n  b: 1 # comment\n# alone\n\n  c: 2\n");
    }

    #[test]
    fn scalars() {
        agrees("a: 'it''s'\nb: \"q\\\"\\n\"\nc: 'x: y'\nd: \"#nope\"\ne: a#b\nf: -1\ng: x:y\nh: ''\n");
        agrees("\"k\": 1\n'l': 2\n");
        agrees("a: arn:aws:s3:::b/*\nb: ${X}/*\nc: 2010-09-09\n");
        agrees("a:#\n");
    }

    #[test]
    fn tags_and_flow() {
        agrees("a: !Ref X\nb: !GetAtt A.B\nc: !Sub '${A}-x'\nd: !GetAZs ''\n");
        agrees("a: !If [C, !Ref X, !Ref AWS::NoValue]\nb: []\nc: {}\nd: {K: V, L: [1, 2]}\n");
        agrees("a: !Join\n  - ''\n  - - x\n    - !Ref Y\nb: !Sub\n  - '${A}'\n  - A: 1\n");
        agrees("- !Ref X\n- !If\n  - C\n  - a\n  - b\n");
        agrees("a: !GetAZs\nb: !GetAZs # c\n\nc:\n  - !GetAZs\n");
        agrees("a : 1\nbb   : x\n- x\n".trim_end_matches("- x\n"));
        agrees("- :*\n- ?x\n");
    }

    #[test]
    fn literal_block_scalars() {
        agrees("a: |\n  line 1\n    indented\n\n  line 3\nb: |-\n  x\nc: |+\n  y\n\nd: 1\n");
        agrees("a: !Sub |\n  #!/bin/bash\n  echo ${X}\n");
        agrees("- |\n  x\n- y\n");
    }

    #[test]
    fn folded_block_scalars() {
        agrees("a: >\n  x\n  y\n\n  z\nb: >-\n  q\n  r\nc: >+\n  s\n\n\nd: 1\n");
        agrees("- >\n  one\n  two\n\n\n  three\n");
    }

    #[test]
    fn multi_line_plain_scalars() {
        agrees("Description: Provides the base\n  security and\n\n  access # comment\nNext: 1\n");
        agrees("Description:\n  Provides the base\n  account\n- x\n".trim_end_matches("- x\n"));
        agrees("- a\n  b\n- c\n   d   \n  e\n");
    }

    #[test]
    fn one_leading_document_marker() {
        agrees("---\na: 1\n");
        agrees("# c\n\n--- # x\nb:\n  - 1\n");
    }

    #[test]
    fn a_long_stream_is_left_to_saphyr() {
        let long = "- x\n".repeat(MAX_EVENTS + 1);
        declines(&long);
        let flow = format!("a: [{}]\n", vec!["x"; MAX_EVENTS + 1].join(", "));
        declines(&flow);
        agrees(&"- x\n".repeat(1000));
    }

    #[test]
    fn leaves_the_rest_to_saphyr() {
        declines("a: &x 1\nb: *x\n");
        declines("a: b\n  - c\n");
        declines("a: b\n  c: d\n");
        declines("a: b # c\n  d\n");
        declines("a: b: c\n");
        declines("---\na: 1\n---\nb: 2\n");
        declines("a: 1\n...\n");
        declines("a: >\n  x\n    more indented\n  y\n");
        declines("a:\t1\n");
        declines("a: \"multi\n  line\"\n");
        declines("a: [1,\n  2]\n");
        declines("? a\n: b\n");
        declines("a: é\n");
        declines("a: 1\r\n");
        declines("");
        declines("a: [b: c]\n");
        declines(" a: 1\nb: 2\n");
        declines("a: 1\n  b: 2\n");
    }

    #[test]
    fn errors_are_left_to_saphyr() {
        for text in
            ["- [I~- -   - -]\n", "a: [1, 2\n", "a: 'x\n", "- a\nb: 1\n", "a: 1\n- b\n", "a: b #c\n  d\n", "{a: 1}}\n"]
        {
            assert!(events(text).is_none(), "{text}");
        }
    }
}
