//! Small statistics shared by the benchmarks and the evaluation: one [`median`] and one
//! [`percentile`], with one answer for an empty list (`None`).

/// The middle value (the mean of the two middle ones for an even count); `None` for no values.
/// NaNs sort last.
pub fn median(values: &[f64]) -> Option<f64> {
    let sorted = sorted(values);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The value at `fraction` (0 to 1) of the sorted list, by the nearest rank; `None` for no
/// values.
pub fn percentile(values: &[f64], fraction: f64) -> Option<f64> {
    let sorted = sorted(values);
    let last = sorted.len().checked_sub(1)?;
    let rank = (fraction.clamp(0.0, 1.0) * last as f64).round() as usize;
    Some(sorted[rank.min(last)])
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_odd_an_even_and_no_count() {
        assert_eq!(median(&[0.3, 0.1, 0.2]), Some(0.2));
        assert_eq!(median(&[0.4, 0.1, 0.2, 0.3]), Some(0.25));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let values: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.0), Some(1.0));
        assert_eq!(percentile(&values, 0.9), Some(10.0));
        assert_eq!(percentile(&values, 1.0), Some(11.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
