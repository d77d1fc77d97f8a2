//! What `activity_diff` needs to answer as CKAN does: JSON pretty-printed the way Python's
//! `json.dumps(obj, indent=2, sort_keys=True)` prints it, and line diffs in the formats of
//! Python's `difflib` (`unified_diff`, `context_diff` with their default three lines of context),
//! computed with the same matching rules, so the text is the same.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

/// `json.dumps(value, indent=2, sort_keys=True)`: keys sorted, non-ASCII escaped.
pub(crate) fn python_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => out.push_str(&i.to_string()),
            (None, Some(u), _) => out.push_str(&u.to_string()),
            (None, None, Some(f)) => out.push_str(&python_float(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => write_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A JSON string with everything outside printable ASCII escaped, as `ensure_ascii` does.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// Python's `repr(float)`: the shortest digits, positional from 1e-4 up to 1e16, else
/// scientific with a signed two-digit exponent.
fn python_float(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exponent) {
        let body = if exponent >= 0 {
            let point = usize::try_from(exponent).unwrap_or(0) + 1;
            if digits.len() <= point {
                format!("{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                format!("{}.{}", &digits[..point], &digits[point..])
            }
        } else {
            let zeros = usize::try_from(-exponent - 1).unwrap_or(0);
            format!("0.{}{digits}", "0".repeat(zeros))
        };
        format!("{sign}{body}")
    } else {
        let mantissa = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exponent_sign}{:02}", exponent.abs())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Equal,
    Replace,
    Delete,
    Insert,
}

/// One step turning `a[i1..i2]` into `b[j1..j2]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Opcode {
    tag: Tag,
    i1: usize,
    i2: usize,
    j1: usize,
    j2: usize,
}

/// difflib's matcher without a junk function: longest matching runs found recursively, lines
/// that fill more than 1% of a `b` of 200 lines or more left out as anchors ("autojunk").
struct Matcher<'a> {
    a: &'a [&'a str],
    b: &'a [&'a str],
    b2j: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Matcher<'a> {
    fn new(a: &'a [&'a str], b: &'a [&'a str]) -> Self {
        let mut b2j: HashMap<&'a str, Vec<usize>> = HashMap::new();
        for (j, line) in b.iter().enumerate() {
            b2j.entry(*line).or_default().push(j);
        }
        if b.len() >= 200 {
            let threshold = b.len() / 100 + 1;
            let popular: HashSet<&str> =
                b2j.iter().filter(|(_, places)| places.len() > threshold).map(|(line, _)| *line).collect();
            b2j.retain(|line, _| !popular.contains(line));
        }
        Self { a, b, b2j }
    }

    /// The longest run `a[i..i+k] == b[j..j+k]` inside the bounds; the earliest on ties.
    fn longest_match(&self, alo: usize, ahi: usize, blo: usize, bhi: usize) -> (usize, usize, usize) {
        let (mut best_i, mut best_j, mut best_k) = (alo, blo, 0);
        let mut run_ending_at: HashMap<usize, usize> = HashMap::new();
        for i in alo..ahi {
            let mut next: HashMap<usize, usize> = HashMap::new();
            if let Some(places) = self.b2j.get(self.a[i]) {
                for &j in places {
                    if j < blo {
                        continue;
                    }
                    if j >= bhi {
                        break;
                    }
                    let k = j.checked_sub(1).and_then(|p| run_ending_at.get(&p)).copied().unwrap_or(0) + 1;
                    next.insert(j, k);
                    if k > best_k {
                        (best_i, best_j, best_k) = (i + 1 - k, j + 1 - k, k);
                    }
                }
            }
            run_ending_at = next;
        }
        // Grow the run over equal lines left out as too common.
        while best_i > alo && best_j > blo && self.a[best_i - 1] == self.b[best_j - 1] {
            best_i -= 1;
            best_j -= 1;
            best_k += 1;
        }
        while best_i + best_k < ahi
            && best_j + best_k < bhi
            && self.a[best_i + best_k] == self.b[best_j + best_k]
        {
            best_k += 1;
        }
        (best_i, best_j, best_k)
    }

    /// Matching runs in order, adjacent ones joined, closed by `(len a, len b, 0)`.
    fn matching_blocks(&self) -> Vec<(usize, usize, usize)> {
        let mut pending = vec![(0, self.a.len(), 0, self.b.len())];
        let mut blocks = Vec::new();
        while let Some((alo, ahi, blo, bhi)) = pending.pop() {
            let (i, j, k) = self.longest_match(alo, ahi, blo, bhi);
            if k > 0 {
                blocks.push((i, j, k));
                if alo < i && blo < j {
                    pending.push((alo, i, blo, j));
                }
                if i + k < ahi && j + k < bhi {
                    pending.push((i + k, ahi, j + k, bhi));
                }
            }
        }
        blocks.sort_unstable();
        let mut joined: Vec<(usize, usize, usize)> = Vec::new();
        for (i, j, k) in blocks {
            match joined.last_mut() {
                Some(last) if last.0 + last.2 == i && last.1 + last.2 == j => last.2 += k,
                _ => joined.push((i, j, k)),
            }
        }
        joined.push((self.a.len(), self.b.len(), 0));
        joined
    }

    fn opcodes(&self) -> Vec<Opcode> {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        for (ai, bj, size) in self.matching_blocks() {
            let tag = match (i < ai, j < bj) {
                (true, true) => Some(Tag::Replace),
                (true, false) => Some(Tag::Delete),
                (false, true) => Some(Tag::Insert),
                (false, false) => None,
            };
            if let Some(tag) = tag {
                out.push(Opcode { tag, i1: i, i2: ai, j1: j, j2: bj });
            }
            (i, j) = (ai + size, bj + size);
            if size > 0 {
                out.push(Opcode { tag: Tag::Equal, i1: ai, i2: i, j1: bj, j2: j });
            }
        }
        out
    }

    /// The changes in hunks with `n` lines of context around them.
    fn grouped_opcodes(&self, n: usize) -> Vec<Vec<Opcode>> {
        let mut codes = self.opcodes();
        if codes.is_empty() {
            codes.push(Opcode { tag: Tag::Equal, i1: 0, i2: 1, j1: 0, j2: 1 });
        }
        if let Some(first) = codes.first_mut()
            && first.tag == Tag::Equal
        {
            first.i1 = first.i1.max(first.i2.saturating_sub(n));
            first.j1 = first.j1.max(first.j2.saturating_sub(n));
        }
        if let Some(last) = codes.last_mut()
            && last.tag == Tag::Equal
        {
            last.i2 = last.i2.min(last.i1 + n);
            last.j2 = last.j2.min(last.j1 + n);
        }
        let mut groups = Vec::new();
        let mut group = Vec::new();
        for mut code in codes {
            if code.tag == Tag::Equal && code.i2 - code.i1 > 2 * n {
                group.push(Opcode { i2: code.i2.min(code.i1 + n), j2: code.j2.min(code.j1 + n), ..code });
                groups.push(std::mem::take(&mut group));
                code.i1 = code.i1.max(code.i2.saturating_sub(n));
                code.j1 = code.j1.max(code.j2.saturating_sub(n));
            }
            group.push(code);
        }
        let only_context = group.len() == 1 && group[0].tag == Tag::Equal;
        if !group.is_empty() && !only_context {
            groups.push(group);
        }
        groups
    }
}

/// `start,length` of a unified hunk header.
fn unified_range(start: usize, stop: usize) -> String {
    let length = stop - start;
    let beginning = if length == 0 { start } else { start + 1 };
    if length == 1 { beginning.to_string() } else { format!("{beginning},{length}") }
}

/// `first,last` of a context hunk header.
fn context_range(start: usize, stop: usize) -> String {
    let length = stop - start;
    let beginning = if length == 0 { start } else { start + 1 };
    if length <= 1 { beginning.to_string() } else { format!("{beginning},{}", beginning + length - 1) }
}

/// `difflib.unified_diff(a, b)` joined with newlines, as CKAN joins it (its header lines keep
/// their own line ends, so blank lines follow them).
pub(crate) fn unified_diff(a: &[&str], b: &[&str]) -> String {
    let matcher = Matcher::new(a, b);
    let mut lines: Vec<String> = Vec::new();
    for (index, group) in matcher.grouped_opcodes(3).iter().enumerate() {
        if index == 0 {
            lines.push("--- \n".into());
            lines.push("+++ \n".into());
        }
        let (Some(first), Some(last)) = (group.first(), group.last()) else { continue };
        lines.push(format!(
            "@@ -{} +{} @@\n",
            unified_range(first.i1, last.i2),
            unified_range(first.j1, last.j2)
        ));
        for code in group {
            if code.tag == Tag::Equal {
                lines.extend(a[code.i1..code.i2].iter().map(|l| format!(" {l}")));
                continue;
            }
            if matches!(code.tag, Tag::Replace | Tag::Delete) {
                lines.extend(a[code.i1..code.i2].iter().map(|l| format!("-{l}")));
            }
            if matches!(code.tag, Tag::Replace | Tag::Insert) {
                lines.extend(b[code.j1..code.j2].iter().map(|l| format!("+{l}")));
            }
        }
    }
    lines.join("\n")
}

/// `difflib.context_diff(a, b)` joined with newlines, as CKAN joins it.
pub(crate) fn context_diff(a: &[&str], b: &[&str]) -> String {
    let prefix = |tag: Tag| match tag {
        Tag::Insert => "+ ",
        Tag::Delete => "- ",
        Tag::Replace => "! ",
        Tag::Equal => "  ",
    };
    let matcher = Matcher::new(a, b);
    let mut lines: Vec<String> = Vec::new();
    for (index, group) in matcher.grouped_opcodes(3).iter().enumerate() {
        if index == 0 {
            lines.push("*** \n".into());
            lines.push("--- \n".into());
        }
        let (Some(first), Some(last)) = (group.first(), group.last()) else { continue };
        lines.push("***************\n".into());
        lines.push(format!("*** {} ****\n", context_range(first.i1, last.i2)));
        if group.iter().any(|c| matches!(c.tag, Tag::Replace | Tag::Delete)) {
            for code in group.iter().filter(|c| c.tag != Tag::Insert) {
                lines.extend(a[code.i1..code.i2].iter().map(|l| format!("{}{l}", prefix(code.tag))));
            }
        }
        lines.push(format!("--- {} ----\n", context_range(first.j1, last.j2)));
        if group.iter().any(|c| matches!(c.tag, Tag::Replace | Tag::Insert)) {
            for code in group.iter().filter(|c| c.tag != Tag::Delete) {
                lines.extend(b[code.j1..code.j2].iter().map(|l| format!("{}{l}", prefix(code.tag))));
            }
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pretty_prints_like_python() {
        let value = json!({"b": [1, 2.5, {}], "a": "æ\"x\u{1F600}", "c": [], "d": null, "e": true});
        let expected = "{\n  \"a\": \"\\u00e6\\\"x\\ud83d\\ude00\",\n  \"b\": [\n    1,\n    2.5,\n    {}\n  ],\n  \"c\": [],\n  \"d\": null,\n  \"e\": true\n}";
        assert_eq!(python_json(&value), expected);
    }

    #[test]
    fn floats_print_like_python_repr() {
        assert_eq!(python_float(1.0), "1.0");
        assert_eq!(python_float(0.1), "0.1");
        assert_eq!(python_float(-2.5), "-2.5");
        assert_eq!(python_float(123456.789), "123456.789");
        assert_eq!(python_float(0.0001), "0.0001");
        assert_eq!(python_float(0.00001), "1e-05");
        assert_eq!(python_float(1e16), "1e+16");
        assert_eq!(python_float(1.5e300), "1.5e+300");
        assert_eq!(python_float(1e15), "1000000000000000.0");
    }

    // Expected texts are what CPython's difflib prints for the same input.
    #[test]
    fn unified_diff_matches_difflib() {
        let a = ["{", "  \"name\": \"a\",", "  \"notes\": \"x\",", "  \"title\": \"A\"", "}"];
        let b = ["{", "  \"name\": \"a\",", "  \"notes\": \"y\",", "  \"title\": \"A\"", "}"];
        assert_eq!(
            unified_diff(&a, &b),
            "--- \n\n+++ \n\n@@ -1,5 +1,5 @@\n\n {\n   \"name\": \"a\",\n-  \"notes\": \"x\",\n+  \"notes\": \"y\",\n   \"title\": \"A\"\n }"
        );
        assert_eq!(unified_diff(&a, &a), "");
    }

    #[test]
    fn distant_changes_make_separate_hunks() {
        let a: Vec<String> = (0..20).map(|i| format!("line {i}")).collect();
        let mut b = a.clone();
        b[1] = "changed 1".into();
        b[18] = "changed 18".into();
        b.insert(10, "new".into());
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let b: Vec<&str> = b.iter().map(String::as_str).collect();
        let expected = [
            "--- \n",
            "+++ \n",
            "@@ -1,5 +1,5 @@\n",
            " line 0",
            "-line 1",
            "+changed 1",
            " line 2",
            " line 3",
            " line 4",
            "@@ -8,6 +8,7 @@\n",
            " line 7",
            " line 8",
            " line 9",
            "+new",
            " line 10",
            " line 11",
            " line 12",
            "@@ -16,5 +17,5 @@\n",
            " line 15",
            " line 16",
            " line 17",
            "-line 18",
            "+changed 18",
            " line 19",
        ]
        .join("\n");
        assert_eq!(unified_diff(&a, &b), expected);
    }

    #[test]
    fn context_diff_matches_difflib() {
        let a = ["one", "two", "three", "four"];
        let b = ["zero", "one", "three", "four!"];
        let expected = [
            "*** \n",
            "--- \n",
            "***************\n",
            "*** 1,4 ****\n",
            "  one",
            "- two",
            "  three",
            "! four",
            "--- 1,4 ----\n",
            "+ zero",
            "  one",
            "  three",
            "! four!",
        ]
        .join("\n");
        assert_eq!(context_diff(&a, &b), expected);
    }

    #[test]
    fn insertions_into_empty_text() {
        let b = ["a", "b"];
        assert_eq!(unified_diff(&[], &b), "--- \n\n+++ \n\n@@ -0,0 +1,2 @@\n\n+a\n+b");
    }
}
