//! Parsing of the Python-style signatures the table is written in.

use serde::Serialize;

/// The few types the checks can compare a literal against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Ty {
    Str,
    Int,
    Float,
    Bool,
    /// `timedelta`, or a bare number of seconds (deprecated in the newest driver).
    Duration,
    /// `timedelta` only.
    Timedelta,
    Callable,
    Dict,
    List,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ParamKind {
    Positional,
    KeywordOnly,
    VarArgs,
    VarKeywords,
}

#[derive(Debug, Clone, Serialize)]
pub struct Param {
    pub name: String,
    /// The annotation as written.
    pub annotation: String,
    pub ty: Ty,
    pub optional: bool,
    pub default: Option<String>,
    pub kind: ParamKind,
}

impl Param {
    pub fn required(&self) -> bool {
        self.default.is_none() && matches!(self.kind, ParamKind::Positional | ParamKind::KeywordOnly)
    }
}

fn ty_of(annotation: &str) -> (Ty, bool) {
    let parts: Vec<&str> = annotation.split('|').map(str::trim).collect();
    let optional = parts.contains(&"None");
    let rest: Vec<&str> = parts.into_iter().filter(|p| *p != "None").collect();
    let ty = match rest.as_slice() {
        ["str"] => Ty::Str,
        ["int"] => Ty::Int,
        ["float"] => Ty::Float,
        ["bool"] => Ty::Bool,
        ["Duration"] => Ty::Duration,
        ["timedelta"] => Ty::Timedelta,
        ["timedelta", "int"] | ["int", "timedelta"] => Ty::Duration,
        [c] if c.starts_with("Callable") => Ty::Callable,
        [d] if d.starts_with("dict") => Ty::Dict,
        [l] if l.starts_with("list") => Ty::List,
        _ => Ty::Any,
    };
    (ty, optional)
}

/// Splits at commas that are not inside brackets.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// Parses `(a: str, *, b: int = 1) -> str` into parameters and return type.
pub fn parse(sig: &str) -> (Vec<Param>, String) {
    let (params, ret) = match sig.rsplit_once("->") {
        Some((p, r)) => (p.trim(), r.trim().to_string()),
        None => (sig.trim(), "None".to_string()),
    };
    // Exactly one pair: a default may end in `)` too (`timedelta(minutes=15)`).
    let inner = params.strip_prefix('(').unwrap_or(params);
    let inner = inner.strip_suffix(')').unwrap_or(inner);
    let mut keyword_only = false;
    let mut out = Vec::new();
    for raw in split_top(inner) {
        if raw == "*" {
            keyword_only = true;
            continue;
        }
        let (decl, default) = match raw.split_once('=') {
            Some((d, v)) => (d.trim(), Some(v.trim().to_string())),
            None => (raw, None),
        };
        let (name, annotation) = match decl.split_once(':') {
            Some((n, a)) => (n.trim(), a.trim()),
            None => (decl, "Any"),
        };
        let (kind, name) = if let Some(n) = name.strip_prefix("**") {
            (ParamKind::VarKeywords, n)
        } else if let Some(n) = name.strip_prefix('*') {
            keyword_only = true;
            (ParamKind::VarArgs, n)
        } else if keyword_only {
            (ParamKind::KeywordOnly, name)
        } else {
            (ParamKind::Positional, name)
        };
        let (ty, optional) = ty_of(annotation);
        out.push(Param { name: name.to_string(), annotation: annotation.to_string(), ty, optional, default, kind });
    }
    (out, ret)
}

#[cfg(test)]
mod tests {
    #[test]
    fn defaults_ending_in_a_parenthesis_are_kept_whole() {
        let (params, ret) = super::parse("(unit: str, timeout: Duration = timedelta(minutes=15)) -> None");
        assert_eq!(params[1].default.as_deref(), Some("timedelta(minutes=15)"));
        assert_eq!(ret, "None");
    }
}
