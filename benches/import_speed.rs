//! Import speed on the real songs (pop909 and nottingham): files per second for the whole import
//! and for parsing alone, measured by [`songsketch::midi::bench::bench_import`] (the same code as
//! `songsketch bench import DIR`). Run with `cargo bench --bench import_speed`.

use std::path::Path;

use songsketch::midi::bench::bench_import;

const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets");
/// Rounds per collection; the report gives their median.
const REPEATS: usize = 7;

fn main() {
    for collection in ["pop909", "nottingham"] {
        match bench_import(&Path::new(DATASETS).join(collection), REPEATS) {
            Ok(report) => println!("{report}\n"),
            Err(error) => eprintln!("{collection}: {error}"),
        }
    }
}
