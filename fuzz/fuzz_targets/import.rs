//! Fuzz target for the import path: any bytes → `import_bytes`, which must return a lead sheet
//! or an error, never panic, hang or run out of memory.
//! Run with `cargo fuzz run import` (see the README).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(imported) = songsketch::midi::import::import_bytes(bytes, "fuzz") {
        // Whatever imports is a valid lead sheet.
        assert!(imported.sheet.validate().is_ok());
    }
});
