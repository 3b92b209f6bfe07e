//! Numbers and lines in words for every text renderer: byte sizes, counts, and text
//! wrapped to the terminal's width.

pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// `200 ×1990 · 500 ×10`, or `empty` when there is nothing to count.
pub(crate) fn counts<'a>(items: impl Iterator<Item = (&'a str, u64)>, empty: &str) -> String {
    let parts: Vec<String> = items.map(|(k, n)| format!("{k} ×{n}")).collect();
    if parts.is_empty() {
        empty.to_string()
    } else {
        parts.join(" · ")
    }
}

/// `text` in lines of at most `width` columns, broken between words: the first line
/// after `first`, the others after `indent` (a hanging indent).
pub fn wrap(text: &str, width: usize, first: &str, indent: &str) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut out = String::from(first);
    let mut col = first.width();
    let mut line_start = true;
    for word in text.split_whitespace() {
        let w = word.width();
        if !line_start && col + 1 + w > width {
            out.push('\n');
            out.push_str(indent);
            col = indent.width();
            line_start = true;
        }
        if !line_start {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += w;
        line_start = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_read_naturally() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(2048), "2.0 KiB");
        assert_eq!(bytes(50 * 1024 * 1024), "50.0 MiB");
    }
}
