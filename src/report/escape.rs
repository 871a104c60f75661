//! Escaping of untrusted text (names, paths, messages, template lines) for
//! the Markdown, Mermaid and HTML reports, and the shortening that keeps a
//! cell or a label bounded. Every function replaces control characters, so
//! that nothing from an input reaches a reader raw.

use std::borrow::Cow;

/// At most `max` characters of `text`, with `…` in place of the rest.
pub fn shorten(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some(_) => {
            let cut = text.char_indices().nth(max.saturating_sub(1)).map_or(text.len(), |(at, _)| at);
            Cow::Owned(format!("{}…", &text[..cut]))
        }
    }
}

/// A control character as a reader may see it: line breaks and tabs are
/// spaces where a value must stay on one line, anything else U+FFFD.
fn control(c: char) -> char {
    if matches!(c, '\n' | '\r' | '\t') { ' ' } else { '\u{FFFD}' }
}

/// Text for HTML content and attribute values (double- or single-quoted).
/// Line breaks are kept (for `<pre>`); other control characters become
/// U+FFFD, which also keeps the document well-formed XML.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            '\r' => {}
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Text for a cell of a GitHub-flavoured Markdown table, shown as written:
/// on one line, no pipe ends the cell, no HTML, link, emphasis or code span
/// starts, and no `@mention`, `#123` reference or autolink is made.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            '@' => out.push_str("&#64;"),
            '#' => out.push_str("&#35;"),
            // `:` too, so that no `https://` in a message becomes a link.
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '~' | '!' | '{' | '}' | '$' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(control(c)),
            c => out.push(c),
        }
    }
    out
}

/// Text for a quoted Mermaid label (`id["..."]`): letters, digits and a few
/// harmless marks as they are, everything else as a Mermaid entity code
/// (`#35;`), so that no quote, bracket, pipe, semicolon, backtick or markup
/// from an input can end the label, the statement or the code fence.
pub fn mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for c in text.chars() {
        let c = if c.is_control() { control(c) } else { c };
        if c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | ',' | ':' | '/' | '=' | '+') {
            out.push(c);
        } else {
            out.push_str(&format!("#{};", u32::from(c)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_by_characters() {
        assert_eq!(shorten("abcdef", 6), "abcdef");
        assert_eq!(shorten("abcdefg", 6), "abcde…");
        assert_eq!(shorten("ééééééé", 3), "éé…");
    }

    #[test]
    fn html_escapes_markup_and_controls() {
        assert_eq!(
            html("<a href=\"x\">'&'</a>\u{1b}[31m\r\n"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\u{FFFD}[31m\n"
        );
    }

    #[test]
    fn markdown_cells_stay_one_plain_cell() {
        assert_eq!(markdown("a|b\nc"), "a&#124;b c");
        assert_eq!(markdown("see https://x"), "see https\\://x");
        assert_eq!(markdown("`x` *y* [l](u) <b> @me #1"), "\\`x\\` \\*y\\* \\[l\\]\\(u\\) &lt;b&gt; &#64;me &#35;1");
    }

    #[test]
    fn mermaid_labels_hold_no_syntax() {
        assert_eq!(mermaid("eksctl-demo-cluster.json"), "eksctl-demo-cluster.json");
        assert_eq!(mermaid("a\"]; x[\"b"), "a#34;#93;#59; x#91;#34;b");
        assert_eq!(mermaid("```\n<é>"), "#96;#96;#96; #60;#233;#62;");
    }
}
