//! Nearest-name suggestions for misspelled arguments.

/// Returns the candidate closest to `name` by edit distance, ignoring ASCII case, when it
/// is close enough to be a likely typo. Close enough means at most a third of the
/// candidate's length, and never less than one edit.
pub(crate) fn nearest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let name = name.to_ascii_lowercase();

    let (distance, candidate) = candidates
        .iter()
        .map(|candidate| (edit_distance(&name, candidate), *candidate))
        .min_by_key(|(distance, _)| *distance)?;

    let max_distance = (candidate.chars().count() / 3).max(1);
    (distance <= max_distance).then_some(candidate)
}

/// Counts the single-character insertions, deletions and substitutions that turn `a`
/// into `b` (the Levenshtein distance).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous_row: Vec<usize> = (0..=b.len()).collect();

    for (i, a_char) in a.chars().enumerate() {
        let mut row = Vec::with_capacity(b.len() + 1);
        row.push(i + 1);
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous_row[j] + usize::from(a_char != *b_char);
            let deletion = previous_row[j + 1] + 1;
            let insertion = row[j] + 1;
            row.push(substitution.min(deletion).min(insertion));
        }
        previous_row = row;
    }

    previous_row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 4] = ["token_type", "auth_type", "scopes", "crate"];

    #[test]
    fn edit_distance_counts_each_kind_of_edit() {
        assert_eq!(edit_distance("scopes", "scopes"), 0);
        assert_eq!(edit_distance("scope", "scopes"), 1);
        assert_eq!(edit_distance("scopess", "scopes"), 1);
        assert_eq!(edit_distance("scapes", "scopes"), 1);
        assert_eq!(edit_distance("", "crate"), 5);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn missing_letter_suggests_argument() {
        let suggestion = nearest("tokn_type", &NAMES);

        assert_eq!(suggestion, Some("token_type"));
    }

    #[test]
    fn upper_case_flask_key_suggests_argument() {
        let suggestion = nearest("AUTH_TYPE", &NAMES);

        assert_eq!(suggestion, Some("auth_type"));
    }

    #[test]
    fn singular_scope_suggests_scopes() {
        let suggestion = nearest("scope", &NAMES);

        assert_eq!(suggestion, Some("scopes"));
    }

    #[test]
    fn suggestion_allows_third_of_length() {
        // `token_type` has 10 characters, so at most 3 edits are a likely typo.
        let three_edits = nearest("token_t", &NAMES);
        let four_edits = nearest("token_", &NAMES);

        assert_eq!(three_edits, Some("token_type"));
        assert_eq!(four_edits, None);
    }

    #[test]
    fn unrelated_name_suggests_nothing() {
        let suggestion = nearest("timeout", &NAMES);

        assert_eq!(suggestion, None);
    }

    #[test]
    fn distant_prefix_suggests_nothing() {
        let suggestion = nearest("auth", &NAMES);

        assert_eq!(suggestion, None);
    }
}
