//! "Did you mean" suggestions.

/// Abbreviations in the driver's parameter names, and the words people
/// write (or misspell) instead.
const LONG_FORMS: &[(&str, &str)] = &[("addr", "address"), ("secs", "seconds"), ("regexp", "regex"), ("q", "query")];

fn distance(name: &str, candidate: &str) -> usize {
    if candidate.eq_ignore_ascii_case(name) {
        return 0;
    }
    let direct = strsim::damerau_levenshtein(name, candidate);
    LONG_FORMS
        .iter()
        .filter(|(short, _)| *short == candidate)
        .map(|(_, long)| strsim::damerau_levenshtein(name, long))
        .fold(direct, usize::min)
}

/// The candidate closest to `name`, if it is a plausible typo: within about
/// one edit per three characters (of it or of its long form, so `adress`
/// finds `addr`).
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let budget = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|c| *c != name && !c.is_empty())
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= budget)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::suggest;

    #[test]
    fn typos_find_their_word() {
        assert_eq!(suggest("bobb", ["alice", "bob"]), Some("bob"));
        assert_eq!(suggest("wait_for_unti", ["wait_for_unit", "wait_for_file"]), Some("wait_for_unit"));
        assert_eq!(suggest("adress", ["addr", "port", "timeout"]), Some("addr"));
        assert_eq!(suggest("zzz", ["alice", "bob"]), None);
        assert_eq!(suggest("carol", ["alice", "bob"]), None);
        assert_eq!(suggest("server", ["client"]), None);
    }
}
