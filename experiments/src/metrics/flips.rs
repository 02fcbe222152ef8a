//! Sign flips of weights between two logged snapshots.

/// Sign flips between two snapshots of the weights: the entries that went from strictly positive
/// to strictly negative or back (moving to or from exactly zero is not a flip). Panics if the
/// snapshots differ in length (a programmer error).
pub fn sign_flips(before: &[f64], after: &[f64]) -> usize {
    assert_eq!(
        before.len(),
        after.len(),
        "sign_flips: snapshots of {} and {} weights",
        before.len(),
        after.len()
    );
    // Non-short-circuit `&` and `|` and a sum instead of a filter: the signs of trained weights
    // are unpredictable, so branches would mispredict on every other entry.
    before
        .iter()
        .zip(after)
        .map(|(&a, &b)| usize::from(((a > 0.0) & (b < 0.0)) | ((a < 0.0) & (b > 0.0))))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_strict_sign_changes_only() {
        let before = [1.0, -2.0, 0.5, 0.0, -1.0, 3.0];
        let after = [-1.0, 2.0, 0.1, 1.0, 0.0, 3.0];
        assert_eq!(sign_flips(&before, &after), 2);
        assert_eq!(sign_flips(&before, &before), 0);
    }
}
