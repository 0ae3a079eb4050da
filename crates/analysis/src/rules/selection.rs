//! Which rules run: ruff-style `select` / `extend-select` / `ignore` with
//! code prefixes (`NT2`, `F`, `F401`, `ALL`).

use serde::Deserialize;

/// The default selection: every `NT` rule, and from ruff the pyflakes rules
/// and syntax errors. That is what the NixOS build rejected (pyflakes until
/// 2026; ruff's classic default after). Style rules are opt-in.
pub const DEFAULT_SELECT: &[&str] = &["NT", "F", "E9"];

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RuleSelection {
    /// Replaces the default selection when set.
    #[serde(default)]
    pub select: Option<Vec<String>>,
    #[serde(default)]
    pub extend_select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
}

fn matches(selector: &str, code: &str) -> bool {
    selector == "ALL" || code.starts_with(selector)
}

impl RuleSelection {
    /// The selectors in effect (before ignores).
    pub fn selectors(&self) -> Vec<String> {
        let mut out: Vec<String> = match &self.select {
            Some(s) => s.clone(),
            None => DEFAULT_SELECT.iter().map(|s| (*s).to_string()).collect(),
        };
        out.extend(self.extend_select.iter().cloned());
        out
    }

    /// Whether the diagnostic code `code` is reported. The most specific
    /// matching selector wins, as in ruff.
    pub fn enabled(&self, code: &str) -> bool {
        let best_select = self.selectors().iter().filter(|s| matches(s, code)).map(|s| specificity(s)).max();
        let best_ignore = self.ignore.iter().filter(|s| matches(s, code)).map(|s| specificity(s)).max();
        match (best_select, best_ignore) {
            (Some(s), Some(i)) => s > i,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

fn specificity(selector: &str) -> usize {
    if selector == "ALL" { 0 } else { selector.len() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_specificity() {
        let d = RuleSelection::default();
        assert!(d.enabled("NT101") && d.enabled("F401") && d.enabled("E902"));
        assert!(!d.enabled("E501") && !d.enabled("I001"));
        let s = RuleSelection { select: None, extend_select: vec!["E501".into()], ignore: vec!["NT4".into(), "F".into()] };
        assert!(s.enabled("E501") && !s.enabled("NT401") && s.enabled("NT101") && !s.enabled("F401"));
        let s = RuleSelection { select: Some(vec!["NT".into()]), extend_select: vec![], ignore: vec!["NT".into()] };
        assert!(!s.enabled("NT101"));
        let s = RuleSelection { select: Some(vec!["ALL".into()]), extend_select: vec![], ignore: vec!["NT403".into()] };
        assert!(s.enabled("F401") && !s.enabled("NT403"));
    }
}
