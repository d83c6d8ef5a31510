//! Human output of `zhima admin`: aligned tables of a listing's items, and the hint for the
//! next page.

use serde_json::Value;

/// One column: header and the field shown.
pub(crate) type Column<'a> = (&'a str, &'a str);

/// A cell: strings as they are, null as `-`, anything else as JSON.
pub(crate) fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `rows` as an aligned table (one line per row, header first); `(none)` when empty.
pub(crate) fn table(rows: &[Value], columns: &[Column<'_>]) -> String {
    if rows.is_empty() {
        return "(none)\n".to_owned();
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|(_, k)| cell(&r[*k])).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (h, _))| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .chain([h.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |values: Vec<String>| {
        let mut out = values
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect::<Vec<_>>()
            .join("  ");
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    };
    let mut out = line(columns.iter().map(|(h, _)| h.to_string()).collect());
    for row in cells {
        out.push_str(&line(row));
    }
    out
}

/// A listing answer (`{"items", "next_cursor"}`) as a table plus the next-page hint.
pub(crate) fn listing(v: &Value, columns: &[Column<'_>]) -> String {
    let rows = v["items"].as_array().cloned().unwrap_or_default();
    let mut out = table(&rows, columns);
    if let Some(c) = v["next_cursor"].as_str() {
        out.push_str(&format!("more: --cursor {c}\n"));
    }
    out
}

/// One object as `key  value` lines, in the given order.
pub(crate) fn record(v: &Value, keys: &[&str]) -> String {
    let width = keys.iter().map(|k| k.len()).max().unwrap_or(0);
    keys.iter()
        .map(|k| format!("{k:<width$}  {}\n", cell(&v[*k])))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_align_and_nulls_show_as_dashes() {
        let rows = [json!({"a": "x", "b": null}), json!({"a": "long", "b": 3})];
        assert_eq!(
            table(&rows, &[("A", "a"), ("B", "b")]),
            "A     B\nx     -\nlong  3\n"
        );
        assert_eq!(table(&[], &[("A", "a")]), "(none)\n");
    }
}
