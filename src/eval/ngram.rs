//! An n-gram language model over token ids: the simple baseline the network's validation
//! bits per token must beat (`songsketch eval`).
//!
//! Smoothing is interpolated absolute discounting: for a history `h` seen `c(h)` times,
//!
//! `P(w | h) = max(c(h, w) − D, 0) / c(h) + D · N(h) / c(h) · P(w | h')`
//!
//! where `N(h)` is the number of distinct tokens seen after `h`, `h'` is `h` without its oldest
//! token, and `D` the discount. An unseen history falls back to `P(w | h')`. The recursion ends in
//! the uniform distribution over the vocabulary, so every token has a probability above zero and
//! the probabilities of the vocabulary sum to one for any history.
//!
//! Each sequence is one song: histories never reach across songs, and the first token of a
//! sequence (`Bos`) is given, not predicted, as in the network's likelihood.

use std::collections::HashMap;

/// The discount subtracted from every seen count (the usual choice for absolute discounting).
pub const DEFAULT_DISCOUNT: f64 = 0.75;

/// What follows one history: how often, and how often each token.
#[derive(Debug, Clone, Default)]
struct Continuations {
    total: u32,
    next: HashMap<u16, u32>,
}

/// A trained n-gram model.
#[derive(Debug, Clone)]
pub struct NGramModel {
    order: usize,
    vocab_size: usize,
    discount: f64,
    /// Histories of length 0 ..= order − 1 and what followed them.
    histories: HashMap<Vec<u16>, Continuations>,
    trained_tokens: usize,
}

impl NGramModel {
    /// Counts the n-grams of `sequences` (one per song). `order` is n (2 = bigram, 4 = 4-gram);
    /// `vocab_size` bounds the token ids (ids at or above it are counted but the uniform floor
    /// spreads over `vocab_size`).
    pub fn train<'a>(
        order: usize,
        vocab_size: usize,
        sequences: impl IntoIterator<Item = &'a [u16]>,
    ) -> NGramModel {
        let order = order.max(1);
        let mut histories: HashMap<Vec<u16>, Continuations> = HashMap::new();
        let mut trained_tokens = 0;
        for sequence in sequences {
            for position in 1..sequence.len() {
                trained_tokens += 1;
                let token = sequence[position];
                let longest = (order - 1).min(position);
                for length in 0..=longest {
                    let history = sequence[position - length..position].to_vec();
                    let entry = histories.entry(history).or_default();
                    entry.total += 1;
                    *entry.next.entry(token).or_default() += 1;
                }
            }
        }
        NGramModel {
            order,
            vocab_size: vocab_size.max(1),
            discount: DEFAULT_DISCOUNT,
            histories,
            trained_tokens,
        }
    }

    pub fn order(&self) -> usize {
        self.order
    }

    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// Tokens predicted during training (every token after each sequence's first).
    pub fn trained_tokens(&self) -> usize {
        self.trained_tokens
    }

    /// `P(token | history)`; only the last `order − 1` tokens of `history` matter.
    pub fn probability(&self, history: &[u16], token: u16) -> f64 {
        let keep = (self.order - 1).min(history.len());
        let history = &history[history.len() - keep..];
        let mut p = 1.0 / self.vocab_size as f64;
        // From the empty history up to the longest: each level interpolates with the one below.
        for length in 0..=history.len() {
            let Some(seen) = self.histories.get(&history[history.len() - length..]) else {
                break; // a longer history containing this one is unseen as well
            };
            let total = seen.total as f64;
            let count = seen.next.get(&token).copied().unwrap_or(0) as f64;
            let distinct = seen.next.len() as f64;
            let discount = self.discount.min(1.0);
            p = (count - discount).max(0.0) / total + discount * distinct / total * p;
        }
        p
    }

    /// Negative log-likelihood (nats) of a sequence and the number of tokens predicted (all
    /// after the first).
    pub fn negative_log_likelihood(&self, sequence: &[u16]) -> (f64, usize) {
        let mut total = 0.0;
        for position in 1..sequence.len() {
            total -= self
                .probability(&sequence[..position], sequence[position])
                .ln();
        }
        (total, sequence.len().saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed;
        move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        }
    }

    fn random_sequence(len: usize, vocab: usize, seed: u64) -> Vec<u16> {
        let mut next = lcg(seed);
        (0..len).map(|_| (next() % vocab as u64) as u16).collect()
    }

    fn bits_per_token(model: &NGramModel, sequence: &[u16]) -> f64 {
        let (nats, n) = model.negative_log_likelihood(sequence);
        nats / n as f64 / std::f64::consts::LN_2
    }

    #[test]
    fn probabilities_sum_to_one_over_the_vocabulary() {
        let vocab = 20;
        let songs = [
            random_sequence(300, vocab, 1),
            vec![0, 1, 2, 3, 1, 2, 3, 1, 2, 3, 4],
            random_sequence(50, 7, 2),
        ];
        let model = NGramModel::train(4, vocab, songs.iter().map(Vec::as_slice));
        let histories: [&[u16]; 6] = [&[], &[1], &[1, 2], &[0, 1, 2, 3], &[19, 19, 19], &[5, 1, 2]];
        for history in histories {
            let sum: f64 = (0..vocab as u16)
                .map(|t| model.probability(history, t))
                .sum();
            assert!((sum - 1.0).abs() < 1e-9, "history {history:?}: {sum}");
            assert!((0..vocab as u16).all(|t| model.probability(history, t) > 0.0));
        }
        assert_eq!(model.trained_tokens(), 299 + 10 + 49);
    }

    #[test]
    fn a_repeated_sequence_is_more_predictable_than_a_random_one() {
        let vocab = 30;
        let phrase: Vec<u16> = vec![3, 7, 7, 12, 5, 3, 9, 22, 14, 7];
        let repeated: Vec<u16> = phrase.iter().cycle().take(400).copied().collect();
        let random = random_sequence(400, vocab, 9);
        let model = NGramModel::train(
            3,
            vocab,
            [
                repeated.as_slice(),
                random_sequence(400, vocab, 10).as_slice(),
            ],
        );
        let held_out_repeat: Vec<u16> = phrase.iter().cycle().skip(3).take(200).copied().collect();
        let repeat_bits = bits_per_token(&model, &held_out_repeat);
        let random_bits = bits_per_token(&model, &random[..200]);
        assert!(repeat_bits < 1.0, "{repeat_bits}");
        assert!(random_bits > 3.0, "{random_bits}");
        // Uniform guessing costs log2(30) ≈ 4.9 bits; the repeat is far below it.
        assert!(repeat_bits < random_bits / 3.0);
    }

    #[test]
    fn a_unigram_model_is_the_smoothed_token_frequency() {
        let model = NGramModel::train(1, 4, [[0u16, 1, 1, 1, 2].as_slice()]);
        // Counts after the first token: 1×3, 2×1 of 4 tokens; D = 0.75, two distinct.
        let floor = 0.75 * 2.0 / 4.0 * 0.25;
        assert!((model.probability(&[0], 1) - (2.25 / 4.0 + floor)).abs() < 1e-12);
        assert!((model.probability(&[], 3) - floor).abs() < 1e-12);
        assert_eq!(model.order(), 1);
    }
}
