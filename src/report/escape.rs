//! Escaping of untrusted text (names, paths, messages, template lines) for
//! the Markdown, Mermaid and HTML reports, and the shortening that keeps a
//! cell or a label bounded. Every function replaces control characters, so
//! that nothing from an input reaches a reader raw.

use std::borrow::Cow;

/// At most `max` characters of `text`, with `…` in place of the rest.
pub(super) fn shorten(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some(_) => {
            let cut = text.char_indices().nth(max.saturating_sub(1)).map_or(text.len(), |(at, _)| at);
            Cow::Owned(format!("{}…", &text[..cut]))
        }
    }
}

/// At most `max` characters of `text`, with `…` in place of the middle:
/// names that differ at the end (`…-nodegroup-ng-7`) stay apart.
pub(super) fn shorten_middle(text: &str, max: usize) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= max {
        return Cow::Borrowed(text);
    }
    let tail = max.saturating_sub(1) / 2;
    let head = max.saturating_sub(1) - tail;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    Cow::Owned(format!("{start}…{end}"))
}

/// A control character as a reader may see it: line breaks and tabs are
/// spaces where a value must stay on one line, anything else U+FFFD.
fn control(c: char) -> char {
    if matches!(c, '\n' | '\r' | '\t') { ' ' } else { '\u{FFFD}' }
}

/// Text for HTML content and attribute values (double- or single-quoted).
/// Line breaks are kept (for `<pre>`); other control characters become
/// U+FFFD, which also keeps the document well-formed XML.
pub(super) fn html(text: &str) -> String {
    escape_html(text, true)
}

/// Text for HTML element content: as [`html`], but quotes stay as they are
/// (they mean nothing outside a tag, and template lines are full of them).
pub(super) fn html_text(text: &str) -> String {
    escape_html(text, false)
}

fn escape_html(text: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            '\r' => {}
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A message for HTML element content: escaped, with what it quotes between backticks as
/// `<code>`.
pub(super) fn html_message(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 && i + 1 < parts.len() {
            out.push_str("<code>");
            out.push_str(&html_text(part));
            out.push_str("</code>");
        } else {
            if i % 2 == 1 {
                out.push('`');
            }
            out.push_str(&html_text(part));
        }
    }
    out
}

/// Text for a cell of a GitHub-flavoured Markdown table, shown as written:
/// on one line, no pipe ends the cell, no HTML, link, emphasis, code span
/// or math starts, and no `@mention`, `#123` reference or `scheme://`
/// autolink is made. Marks that are harmless where they stand (`_` inside
/// a word, `:` not followed by `//`, parentheses) are left as they are.
pub(super) fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '@' => out.push_str("&#64;"),
            '#' => out.push_str("&#35;"),
            '_' if before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric) => {
                out.push(c);
            }
            ':' if !(after == Some('/') && chars.get(i + 2) == Some(&'/')) => out.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '$' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(control(c)),
            c => out.push(c),
        }
    }
    out
}

/// A message for a Markdown table cell: what the message quotes between
/// backticks as code spans (unless it holds a backslash or pipe, which a
/// code span in a table cannot show safely, or markup, which some renderers
/// of code spans might not), the rest as [`markdown`].
pub(super) fn markdown_message(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, part) in parts.iter().enumerate() {
        let quoted = i % 2 == 1 && i + 1 < parts.len();
        if quoted
            && !part.is_empty()
            && !part.contains(['\\', '|', '<', '>', '&'])
            && !part.starts_with(' ')
            && !part.ends_with(' ')
        {
            out.push('`');
            out.extend(part.chars().map(|c| if c.is_control() { control(c) } else { c }));
            out.push('`');
        } else if quoted {
            out.push_str("\\`");
            out.push_str(&markdown(part));
            out.push_str("\\`");
        } else {
            if i % 2 == 1 {
                // An opening backtick with no closing one.
                out.push_str("\\`");
            }
            out.push_str(&markdown(part));
        }
    }
    out
}

/// Text for a quoted Mermaid label (`id["..."]`, `-->|"..."|`): the few
/// characters that could end the label, start markup or an entity code,
/// close the Markdown fence or open a `%%{...}%%` directive are replaced by
/// look-alikes (`"` by `'`, `<` `>` by `‹` `›`, `&` `#` `%` and the
/// backtick by their full-width forms), line breaks by spaces. Entity codes
/// (`#35;`) are not used: not every Mermaid release decodes them.
pub(super) fn mermaid(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            '<' => '‹',
            '>' => '›',
            '&' => '＆',
            '#' => '＃',
            '%' => '％',
            '`' => 'ˋ',
            c if c.is_control() => control(c),
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_by_characters() {
        assert_eq!(shorten("abcdef", 6), "abcdef");
        assert_eq!(shorten("abcdefg", 6), "abcde…");
        assert_eq!(shorten("ééééééé", 3), "éé…");
        assert_eq!(shorten_middle("abcdefgh", 5), "ab…gh");
        assert_eq!(shorten_middle("abcdefgh", 8), "abcdefgh");
    }

    #[test]
    fn html_escapes_markup_and_controls() {
        assert_eq!(
            html("<a href=\"x\">'&'</a>\u{1b}[31m\r\n"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\u{FFFD}[31m\n"
        );
    }

    #[test]
    fn html_messages_keep_their_code() {
        assert_eq!(html_message("a `<b>` \"c\" `d"), "a <code>&lt;b&gt;</code> \"c\" `d");
        assert_eq!(html_text("<\"'&\u{7}>"), "&lt;\"'&amp;\u{FFFD}&gt;");
    }

    #[test]
    fn markdown_cells_stay_one_plain_cell() {
        assert_eq!(markdown("a|b\nc"), "a&#124;b c");
        assert_eq!(markdown("see https://x: CONFIG_MAP _y_"), "see https\\://x: CONFIG_MAP \\_y\\_");
        assert_eq!(markdown("`x` *y* [l](u) <b> @me #1"), "\\`x\\` \\*y\\* \\[l\\](u) &lt;b&gt; &#64;me &#35;1");
    }

    #[test]
    fn messages_keep_their_code_spans() {
        assert_eq!(
            markdown_message("entry `A` on `x|y`, `<b>` and `"),
            "entry `A` on \\`x&#124;y\\`, \\`&lt;b&gt;\\` and \\`"
        );
        assert_eq!(markdown_message("`a\\`b`c"), "\\`a\\\\\\`b\\`c");
    }

    #[test]
    fn mermaid_labels_hold_no_syntax() {
        assert_eq!(mermaid("eksctl-demo-cluster.json [a|b];"), "eksctl-demo-cluster.json [a|b];");
        assert_eq!(mermaid("a\"]; x[\"b"), "a']; x['b");
        assert_eq!(mermaid("```\n<é>&#35;%%{init}%%"), "ˋˋˋ ‹é›＆＃35;％％{init}％％");
    }
}
