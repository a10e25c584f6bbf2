//! Embeds an rpath to libtorch's `lib/` folder in the fuzz targets, as the main crate's build
//! script does for its own binaries (link arguments do not pass on to dependent crates).

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(libtorch) = std::env::var("LIBTORCH") {
        let lib = std::path::Path::new(&libtorch).join("lib");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    }
}
