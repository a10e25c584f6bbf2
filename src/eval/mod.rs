//! Evaluation of song ideas: musical metrics measured the same way on generated ideas and on real
//! songs' verse+chorus pairs, so the two can stand side by side (`songsketch eval`).
//!
//! [`metrics`] are pure functions of lead sheets; [`measure`] sums a set of ideas up and
//! [`table`] prints sets side by side. [`run::evaluate`] measures a model beside a folder of
//! real songs (what `songsketch eval` prints).

pub mod metrics;
pub mod ngram;
pub mod run;
pub mod table;

pub use metrics::{
    BAR_DISTANCES, DistanceSimilarity, IdeaMetrics, LONG_RUN, SetMetrics, bar_similarity,
    copied_bars, measure, measure_idea, summarize,
};
pub use ngram::NGramModel;
pub use table::table;
