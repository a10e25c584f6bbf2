//! Evaluation of song ideas: musical metrics measured the same way on generated ideas and on real
//! songs' verse+chorus pairs, so the two can stand side by side (`songsketch eval`).
//!
//! [`metrics`] are pure functions of lead sheets; [`measure`] sums a set of ideas up,
//! [`table`] prints sets side by side and [`realness`] asks whether a classifier can tell
//! generated ideas from real ones. [`run::evaluate`] measures a model beside a folder of real
//! songs (what `songsketch eval` prints).

pub mod metrics;
pub mod ngram;
pub mod realness;
pub mod run;
pub mod table;

pub use metrics::{
    BAR_DISTANCES, DistanceSimilarity, IdeaMetrics, LONG_RUN, SetMetrics, bar_similarity,
    copied_bars, measure, measure_idea, summarize,
};
pub use ngram::NGramModel;
pub use realness::{RealnessConfig, RealnessReport, realness};
pub use table::table;
