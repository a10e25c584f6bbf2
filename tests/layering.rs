//! Data flows one way through the crate, and this test keeps it so: each top-level module may
//! use only modules of a lower layer (so none imports its caller, and `ui` is used by the binary
//! alone), the subcommands of `cli` never import each other, and inside a module folder the
//! files' imports of each other form no circle. Test code (from `#[cfg(test)]` on) is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may use the modules of the layers below its own.
const LAYERS: &[&[&str]] = &[
    &["music", "stats", "atomic_file"],
    &["midi"],
    &["datasets", "model", "playback", "library", "dnd"],
    &["eval", "worker", "recording"],
    &["engine", "ui", "cli"],
    &["bin"],
];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|layer| layer.contains(&module))
        .unwrap_or_else(|| panic!("the module `{module}` has no layer in tests/layering.rs"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's code without its tests and without comment lines (doc links are no imports).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => &text,
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names that follow `prefix` in `code` (`crate::` → `midi`, `model`, …).
fn names_after(code: &str, prefix: &str) -> BTreeSet<String> {
    code.match_indices(prefix)
        .filter(|(at, _)| {
            let before = code[..*at].chars().next_back();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
        })
        .map(|(at, _)| {
            code[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// `src/ui/top_bar.rs` → (`ui`, `top_bar`); `src/engine.rs` → (`engine`, ``); the binary's
/// files → `bin`.
fn module_of(path: &Path) -> (String, String) {
    let relative = path.strip_prefix(src()).unwrap();
    let parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    let top = match parts[0].as_str() {
        "main" | "app" => "bin".to_string(),
        other => other.to_string(),
    };
    let file = if parts.len() > 1 {
        parts[1].clone()
    } else {
        String::new()
    };
    (top, file)
}

#[test]
fn every_module_uses_only_lower_layers() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut wrong = Vec::new();
    for path in &files {
        let (module, _) = module_of(path);
        if module == "lib" {
            continue;
        }
        let code = code(path);
        let used = names_after(&code, "crate::")
            .into_iter()
            .chain(names_after(&code, "songsketch::"));
        for other in used.filter(|other| *other != module) {
            if layer_of(&other) >= layer_of(&module) {
                wrong.push(format!("{} uses `{other}`", path.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the flow:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn subcommands_do_not_import_each_other() {
    let cli = src().join("cli");
    let mut files = Vec::new();
    rust_files(&cli, &mut files);
    let commands: BTreeSet<String> = files
        .iter()
        .map(|p| module_of(p).1)
        .filter(|name| name != "mod")
        .collect();
    let mut wrong = Vec::new();
    for path in &files {
        let (_, name) = module_of(path);
        let code = code(path);
        let used = names_after(&code, "super::")
            .into_iter()
            .chain(names_after(&code, "crate::cli::"));
        for other in used.filter(|other| commands.contains(other) && *other != name) {
            wrong.push(format!("cli/{name} uses cli/{other}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A circle in `graph`, if there is one.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_files_of_a_module_import_each_other_in_no_circle() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut folders: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for path in &files {
        let (module, file) = module_of(path);
        if file.is_empty() || file == "mod" || module == "bin" {
            continue;
        }
        let code = code(path);
        let siblings = names_after(&code, "super::")
            .into_iter()
            .chain(names_after(&code, &format!("crate::{module}::")))
            .filter(|name| *name != file)
            .collect();
        folders.entry(module).or_default().insert(file, siblings);
    }
    for (module, graph) in &folders {
        let files: BTreeSet<&String> = graph.keys().collect();
        let graph: BTreeMap<String, BTreeSet<String>> = graph
            .iter()
            .map(|(file, uses)| {
                let uses = uses.iter().filter(|u| files.contains(u)).cloned().collect();
                (file.clone(), uses)
            })
            .collect();
        if let Some(circle) = find_circle(&graph) {
            panic!("src/{module}: {}", circle.join(" → "));
        }
    }
}

#[test]
fn the_checker_sees_a_circle_and_an_import() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("output", ["ports"].as_slice()),
        ("ports", ["synth"].as_slice()),
        ("synth", ["output"].as_slice()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
    .collect();
    assert!(find_circle(&graph).is_some());
    let names = names_after("use crate::ui::player::Player; x::crate::no", "crate::");
    assert_eq!(names, BTreeSet::from(["ui".to_string()]));
}
