//! The realness test (`songsketch eval --realness`): can a classifier tell generated ideas from
//! real verse+chorus pairs? A two-sample classifier test on the plain musical features of
//! [`features`]: 0.5 means it cannot (the ideas pass for real), 1.0 means it always can.
//!
//! How it is measured:
//! - every idea and real pair is cut to its first `section_bars` bars of verse and of chorus (the
//!   generated ideas' shape), so no feature sees a length;
//! - the classes are balanced by drawing the larger one down to the size of the smaller one;
//! - an L2-regularized logistic regression (`linfa-logistic`) on features standardized with the
//!   training folds' means and spreads is scored by stratified k-fold cross-validation; the draw
//!   and the folds are repeated `repeats` times with other seeds, and the accuracy is the mean
//!   over every fold of every repeat, its spread their standard deviation;
//! - the same test between the validation songs' pairs and the training songs' pairs is the
//!   noise floor: two sets of real songs, about 0.5 up to the test's own noise;
//! - the features that separate most are ranked by their standardized mean difference (the
//!   difference of the means over the standard deviation of both sets together), with both
//!   means.

pub mod features;

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use serde::Serialize;

use crate::eval::table::{Row, render};
use crate::model::rng::Rng;
use crate::music::{Idea, LeadSheet};

/// L2 strength of the logistic regression (on standardized features).
pub const ALPHA: f64 = 1.0;

/// Mixed into the seed of the real-versus-real control, so its draws are not the model test's.
const CONTROL_SEED: u64 = 0x5eed_0fc0_4701;

/// Features listed as separating most.
pub const TOP_FEATURES: usize = 10;

/// How the test is run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RealnessConfig {
    /// Folds of the cross-validation (at least 2).
    pub folds: usize,
    /// Balanced draws and fold splits, each with its own seed.
    pub repeats: usize,
    /// Bars of verse and of chorus each idea and pair is cut to (`None`: as they are).
    pub section_bars: Option<usize>,
    pub seed: u64,
}

impl Default for RealnessConfig {
    fn default() -> Self {
        RealnessConfig {
            folds: 5,
            repeats: 10,
            section_bars: None,
            seed: 0,
        }
    }
}

/// Cross-validated accuracy of telling two sets apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoSampleAccuracy {
    /// Mean over every fold of every repeat (0.5 = indistinguishable).
    pub accuracy: f64,
    /// Standard deviation over those folds.
    pub std: f64,
    /// Samples of each class after balancing.
    pub per_class: usize,
    /// Sizes of the two sets before balancing.
    pub first_set: usize,
    pub second_set: usize,
}

/// One feature's means in the generated ideas and the real songs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Separation {
    pub feature: &'static str,
    pub model_mean: f64,
    pub real_mean: f64,
    /// (model − real) / the standard deviation of both sets together: finite even where each set
    /// is constant, at most 2 in size for sets of one size, and in Cohen's d's order.
    pub standardized_difference: f64,
}

/// What `songsketch eval --realness` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RealnessReport {
    pub classifier: String,
    pub features: usize,
    pub config: RealnessConfig,
    /// Generated ideas against the validation songs' pairs.
    pub model_vs_real: TwoSampleAccuracy,
    /// The noise floor: validation songs' pairs against the training songs' pairs.
    pub real_vs_real: TwoSampleAccuracy,
    /// Generated against validation, the largest standardized mean differences first.
    pub separating: Vec<Separation>,
}

/// Why the test could not run.
#[derive(Debug, thiserror::Error)]
pub enum RealnessError {
    #[error("the realness test needs at least {needed} {what} for {folds} folds, got {got}")]
    TooFew {
        what: &'static str,
        got: usize,
        needed: usize,
        folds: usize,
    },
    #[error("the realness test needs at least 2 folds, not {0}")]
    Folds(usize),
    #[error("the realness classifier failed: {0}")]
    Classifier(String),
}

/// The realness test of `generated` ideas against the `validation` songs' pairs, with the
/// `validation`-against-`training` control.
pub fn realness(
    generated: &[Idea],
    validation: &[Idea],
    training: &[Idea],
    config: &RealnessConfig,
) -> Result<RealnessReport, RealnessError> {
    let rows = |ideas: &[Idea]| -> Vec<Vec<f64>> {
        ideas
            .iter()
            .map(|idea| {
                let idea = config
                    .section_bars
                    .map_or_else(|| idea.clone(), |b| cut(idea, b));
                features::features(&idea)
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect()
            })
            .collect()
    };
    if config.folds < 2 {
        return Err(RealnessError::Folds(config.folds));
    }
    let (model, real, other) = (rows(generated), rows(validation), rows(training));
    check_size("generated ideas", model.len(), config.folds)?;
    check_size("validation pairs", real.len(), config.folds)?;
    check_size("training pairs", other.len(), config.folds)?;
    let model_vs_real = two_sample_accuracy(&model, &real, config)?;
    let control = RealnessConfig {
        seed: config.seed ^ CONTROL_SEED,
        ..*config
    };
    let real_vs_real = two_sample_accuracy(&real, &other, &control)?;
    Ok(RealnessReport {
        classifier: format!(
            "L2 logistic regression (linfa-logistic, alpha {ALPHA}) on standardized features"
        ),
        features: features::names().len(),
        config: *config,
        model_vs_real,
        real_vs_real,
        separating: separating(&model, &real, TOP_FEATURES),
    })
}

fn check_size(what: &'static str, got: usize, folds: usize) -> Result<(), RealnessError> {
    let needed = folds;
    if got < needed {
        return Err(RealnessError::TooFew {
            what,
            got,
            needed,
            folds,
        });
    }
    Ok(())
}

/// The idea with its verse and its chorus each cut to their first `bars` bars.
fn cut(idea: &Idea, bars: usize) -> Idea {
    let mut sheet: LeadSheet = idea.sheet().clone();
    for section in &mut sheet.sections {
        section.bars.truncate(bars.max(1));
    }
    Idea::new(sheet).unwrap_or_else(|_| idea.clone())
}

/// Cross-validated accuracy of a classifier telling rows of `first` from rows of `second`.
pub fn two_sample_accuracy(
    first: &[Vec<f64>],
    second: &[Vec<f64>],
    config: &RealnessConfig,
) -> Result<TwoSampleAccuracy, RealnessError> {
    let per_class = first.len().min(second.len());
    let folds = config.folds;
    if folds < 2 {
        return Err(RealnessError::Folds(folds));
    }
    check_size("samples of each set", per_class, folds)?;
    let mut accuracies = Vec::with_capacity(config.repeats * folds);
    for repeat in 0..config.repeats.max(1) {
        let mut rng = Rng::new(config.seed.wrapping_add(repeat as u64 * 0x9e37_79b9));
        let a = sample(&mut rng, first.len(), per_class);
        let b = sample(&mut rng, second.len(), per_class);
        for fold in 0..folds {
            let split = |rows: &[Vec<f64>], picked: &[usize], test: bool| -> Vec<Vec<f64>> {
                picked
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| (i % folds == fold) == test)
                    .map(|(_, &r)| rows[r].clone())
                    .collect()
            };
            let train = (split(first, &a, false), split(second, &b, false));
            let test = (split(first, &a, true), split(second, &b, true));
            accuracies.push(fold_accuracy(&train, &test)?);
        }
    }
    let mean = accuracies.iter().sum::<f64>() / accuracies.len() as f64;
    let var = accuracies.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / accuracies.len() as f64;
    Ok(TwoSampleAccuracy {
        accuracy: mean,
        std: var.sqrt(),
        per_class,
        first_set: first.len(),
        second_set: second.len(),
    })
}

type Sets = (Vec<Vec<f64>>, Vec<Vec<f64>>);

/// Trains on `train` (class 1 = first set), returns the accuracy on `test`.
fn fold_accuracy(train: &Sets, test: &Sets) -> Result<f64, RealnessError> {
    let (x, y) = matrix(train);
    let scale = Standardizer::fit(&x);
    let dataset = Dataset::new(scale.apply(x), y);
    let fitted = LogisticRegression::new()
        .alpha(ALPHA)
        .max_iterations(200)
        .fit(&dataset)
        .map_err(|e| RealnessError::Classifier(e.to_string()))?;
    let (x, y) = matrix(test);
    let predicted = fitted.predict(&scale.apply(x));
    let right = predicted.iter().zip(&y).filter(|(p, t)| p == t).count();
    Ok(right as f64 / y.len().max(1) as f64)
}

/// The rows of both sets as one matrix, with labels 1 (first set) and 0 (second set).
fn matrix((first, second): &Sets) -> (Array2<f64>, Array1<usize>) {
    let width = first.first().or(second.first()).map_or(0, Vec::len);
    let rows = first.len() + second.len();
    let flat: Vec<f64> = first.iter().chain(second).flatten().copied().collect();
    let x = Array2::from_shape_vec((rows, width), flat).expect("every row has every feature");
    let y = std::iter::repeat_n(1, first.len())
        .chain(std::iter::repeat_n(0, second.len()))
        .collect();
    (x, y)
}

/// Centers and scales each feature with the means and spreads of the training rows; a feature
/// constant there is only centered.
struct Standardizer {
    mean: Array1<f64>,
    scale: Array1<f64>,
}

impl Standardizer {
    fn fit(x: &Array2<f64>) -> Standardizer {
        let mean = x.mean_axis(ndarray::Axis(0)).unwrap_or_default();
        let scale = x
            .std_axis(ndarray::Axis(0), 0.0)
            .mapv(|s| if s > 1e-12 { s } else { 1.0 });
        Standardizer { mean, scale }
    }

    fn apply(&self, x: Array2<f64>) -> Array2<f64> {
        (x - &self.mean) / &self.scale
    }
}

/// The `top` features whose standardized mean difference between `model` and `real` is largest.
fn separating(model: &[Vec<f64>], real: &[Vec<f64>], top: usize) -> Vec<Separation> {
    let column = |rows: &[Vec<f64>], j: usize| -> (f64, f64) {
        let n = rows.len().max(1) as f64;
        let mean = rows.iter().map(|r| r[j]).sum::<f64>() / n;
        let var = rows.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    };
    let both: Vec<Vec<f64>> = model.iter().chain(real).cloned().collect();
    let mut out: Vec<Separation> = features::names()
        .into_iter()
        .enumerate()
        .map(|(j, feature)| {
            let ((m, _), (r, _), (_, var)) = (column(model, j), column(real, j), column(&both, j));
            let sd = var.sqrt();
            Separation {
                feature,
                model_mean: m,
                real_mean: r,
                standardized_difference: if sd > 1e-12 { (m - r) / sd } else { 0.0 },
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.standardized_difference
            .abs()
            .total_cmp(&a.standardized_difference.abs())
    });
    out.truncate(top);
    out
}

/// `count` distinct indices of `0..len` in a random order: the project's seeded [`Rng`] shuffles,
/// then the first ones are taken.
fn sample(rng: &mut Rng, len: usize, count: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..len).collect();
    rng.shuffle(&mut all);
    all.truncate(count);
    all
}

impl RealnessReport {
    /// The report as text: both accuracies, then the separating features.
    pub fn text(&self) -> String {
        let c = &self.config;
        let accuracy = |name: &str, a: &TwoSampleAccuracy| -> Row {
            (
                name.to_string(),
                vec![
                    format!("{:.3} ± {:.3}", a.accuracy, a.std),
                    format!("{} of {} / {}", a.per_class, a.first_set, a.second_set),
                ],
            )
        };
        let mut out = format!(
            "realness: {} features, {}; {}-fold cross-validation × {} repeats (0.5 = cannot tell)\n",
            self.features, self.classifier, c.folds, c.repeats
        );
        out.push_str(&render(
            &["accuracy ± std over folds", "per class (of sets)"],
            &[
                accuracy("model vs real (validation songs)", &self.model_vs_real),
                accuracy(
                    "real vs real (validation vs training songs, noise floor)",
                    &self.real_vs_real,
                ),
            ],
        ));
        let rows: Vec<Row> = self
            .separating
            .iter()
            .map(|s| {
                (
                    s.feature.to_string(),
                    vec![
                        format!("{:.3}", s.model_mean),
                        format!("{:.3}", s.real_mean),
                        format!("{:+.2}", s.standardized_difference),
                    ],
                )
            })
            .collect();
        out.push_str("features that separate most (standardized mean difference)\n");
        out.push_str(&render(&["model", "real", "difference"], &rows));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::features::tests::bar;
    use super::*;
    use crate::music::{Key, PitchClass, Section};
    use crate::music::{SectionKind, Tempo};

    /// Standard normal draws (Box–Muller).
    fn normal(rng: &mut Rng) -> f64 {
        let u = |r: &mut Rng| r.next_f64().max(f64::MIN_POSITIVE);
        let (a, b) = (u(rng), u(rng));
        (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
    }

    fn gaussian_rows(n: usize, width: usize, shift: f64, rng: &mut Rng) -> Vec<Vec<f64>> {
        (0..n)
            .map(|_| {
                (0..width)
                    .map(|j| normal(rng) + if j < 3 { shift } else { 0.0 })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn identical_distributions_are_a_coin_toss_and_distant_ones_always_told_apart() {
        let config = RealnessConfig::default();
        let mut rng = Rng::new(7);
        let a = gaussian_rows(100, 60, 0.0, &mut rng);
        let b = gaussian_rows(80, 60, 0.0, &mut rng);
        let same = two_sample_accuracy(&a, &b, &config).unwrap();
        assert!((same.accuracy - 0.5).abs() <= 0.12, "{same:?}");
        assert_eq!(
            (same.per_class, same.first_set, same.second_set),
            (80, 100, 80)
        );
        assert!(same.std > 0.0 && same.std < 0.2, "{same:?}");
        let far = gaussian_rows(80, 60, 3.0, &mut rng);
        let apart = two_sample_accuracy(&a, &far, &config).unwrap();
        assert!(apart.accuracy >= 0.95, "{apart:?}");
        let again = two_sample_accuracy(&a, &far, &config).unwrap();
        assert_eq!(apart, again, "the same seed gives the same figures");
    }

    /// An 8+8-bar idea from `rng`: held notes on the beats, or chattering sixteenths.
    fn idea(rng: &mut Rng, chatter: bool) -> Idea {
        let chords = ["C", "F", "G", "Am"];
        let mut bars = Vec::new();
        for _ in 0..16 {
            let pitch = |rng: &mut Rng| 60 + (rng.next_u64() % 12) as u8;
            let notes: Vec<(u32, u32, u8)> = if chatter {
                (0..16).map(|i| (i * 3, 3, pitch(rng))).collect()
            } else {
                let half = 12 * (1 + (rng.next_u64() % 2) as u32);
                vec![(0, half, pitch(rng)), (half, 48 - half, pitch(rng))]
            };
            bars.push(bar(chords[(rng.next_u64() % 4) as usize], &notes));
        }
        let chorus = bars.split_off(8);
        Idea::new(LeadSheet {
            title: "synthetic".into(),
            key: Key::major(PitchClass::new(0)),
            tempo: Tempo::new(100.0).unwrap(),
            sections: vec![
                Section::new(SectionKind::Verse, bars),
                Section::new(SectionKind::Chorus, chorus),
            ],
        })
        .unwrap()
    }

    #[test]
    fn ideas_of_one_kind_pass_for_each_other_and_chatter_gives_itself_away() {
        let mut rng = Rng::new(11);
        let held = |n, rng: &mut Rng| (0..n).map(|_| idea(rng, false)).collect::<Vec<_>>();
        let (a, b, c) = (held(40, &mut rng), held(40, &mut rng), held(60, &mut rng));
        let chatter: Vec<Idea> = (0..40).map(|_| idea(&mut rng, true)).collect();
        let config = RealnessConfig {
            section_bars: Some(8),
            ..RealnessConfig::default()
        };
        let same = realness(&a, &b, &c, &config).unwrap();
        assert!(
            (same.model_vs_real.accuracy - 0.5).abs() <= 0.12,
            "{same:?}"
        );
        assert!((same.real_vs_real.accuracy - 0.5).abs() <= 0.12, "{same:?}");
        let report = realness(&chatter, &b, &c, &config).unwrap();
        assert!(report.model_vs_real.accuracy >= 0.95, "{report:?}");
        assert_eq!(report.features, features::names().len());
        assert_eq!(report.separating.len(), TOP_FEATURES);
        let top: Vec<&str> = report.separating.iter().map(|s| s.feature).collect();
        assert!(
            top.contains(&"sixteenths or shorter") || top.contains(&"notes per bar"),
            "{top:?}"
        );
        let d: Vec<f64> = report
            .separating
            .iter()
            .map(|s| s.standardized_difference.abs())
            .collect();
        assert!(d.windows(2).all(|w| w[0] >= w[1]), "{d:?}");
        assert!(report.text().contains("noise floor"));
        assert!(matches!(
            realness(&chatter[..3], &b, &c, &config),
            Err(RealnessError::TooFew { got: 3, .. })
        ));
    }
}
