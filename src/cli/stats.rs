//! `songsketch stats`: the keep-rate the window counted on this machine (ideas shown, kept and
//! discarded, per model and setting).

use std::io::Write;
use std::path::PathBuf;

use crate::library::keep_rate::KeepRateFile;

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// The data folder (default: the window's, `SONGSKETCH_DATA_DIR` or the OS data folder).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

pub fn run(args: StatsArgs) -> anyhow::Result<()> {
    let dir = match args.data_dir {
        Some(dir) => dir,
        None => crate::library::data_dir()
            .ok_or_else(|| anyhow::anyhow!("no data folder: pass --data-dir"))?,
    };
    let file = KeepRateFile::open(&dir).map_err(anyhow::Error::msg)?;
    let mut out = std::io::stdout().lock();
    write!(out, "{}", file.rate().report())?;
    Ok(())
}
