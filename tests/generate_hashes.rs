//! The same seed gives the same idea in every version: `songsketch generate --seed N` with the
//! shipped model writes exactly the bytes it wrote when `tests/data/generate-hashes.txt` was
//! recorded (SHA-256 of the MIDI file, seeds 0–19, every other option at its default).
//!
//! A change that alters the shipped model or the sampler on purpose renews the file in the same
//! commit: `SONGSKETCH_RECORD_HASHES=1 cargo test --test generate_hashes`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

const SEEDS: u64 = 20;

fn hashes_file() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/generate-hashes.txt")
}

fn generate(seed: u64, dir: &Path) -> String {
    let out = dir.join(format!("seed-{seed}.mid"));
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default");
    let status = Command::new(env!("CARGO_BIN_EXE_songsketch"))
        .args(["generate", "--seed", &seed.to_string(), "--out"])
        .arg(&out)
        .arg("--model")
        .arg(&model)
        .env_remove("SONGSKETCH_MODEL_DIR")
        .output()
        .expect("songsketch runs");
    assert!(
        status.status.success(),
        "seed {seed}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let bytes = std::fs::read(&out).expect("the idea was written");
    Sha256::digest(&bytes)
        .iter()
        .fold(String::new(), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

#[test]
fn every_seed_writes_the_recorded_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..SEEDS)
        .map(|seed| format!("{seed} {}", generate(seed, dir.path())))
        .collect();
    let now = lines.join("\n") + "\n";
    if std::env::var_os("SONGSKETCH_RECORD_HASHES").is_some() {
        std::fs::write(hashes_file(), &now).unwrap();
        return;
    }
    let recorded = std::fs::read_to_string(hashes_file()).expect("tests/data/generate-hashes.txt");
    for (was, is) in recorded.lines().zip(now.lines()) {
        assert_eq!(was, is, "seed {} writes other bytes than recorded", {
            was.split(' ').next().unwrap_or("?")
        });
    }
    assert_eq!(recorded.lines().count(), SEEDS as usize);
}
