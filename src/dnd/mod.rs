//! Dragging a file (a kept idea's `.mid`) out of the window onto a DAW track, a file manager or
//! a desktop.
//!
//! winit, under eframe, receives drops but cannot start a drag to another application, so this
//! module does it per platform:
//! - **X11**, and Wayland sessions through XWayland when the window is an X11 window: an XDND
//!   source on its own x11rb connection ([`start_drag`], blocking; the protocol rules are in
//!   [`protocol`], the X side in `x11.rs`);
//! - **macOS and Windows**: the `drag` crate, which needs the window handle and the UI thread;
//! - **native Wayland** (no X11 window): not possible yet, [`DndError::Unsupported`] carries a
//!   sentence for the UI. winit's planned drag-source API would add it.
//!
//! The GUI's one entry point is [`start_drag_from_window`]: it checks the platform, runs the drag
//! where it must run (a thread on X11, the UI thread elsewhere) and reports the outcome through a
//! callback.

pub mod protocol;
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
mod x11;

use std::path::{Path, PathBuf};

use raw_window_handle::{HasWindowHandle, RawWindowHandle};

pub use protocol::DragOutcome;

/// Whether this build drags through X11 (Linux and the BSDs).
const X11_PLATFORM: bool = cfg!(all(
    unix,
    not(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "android"
    ))
));

/// What the UI shows where dragging out is impossible (e.g. a tooltip on the drag handle).
pub const UNSUPPORTED_MESSAGE: &str =
    "Drag-out needs X11 or XWayland; use Save as MIDI… or Copy path";

/// Why a drag could not run.
#[derive(Debug, thiserror::Error)]
pub enum DndError {
    /// Dragging out is not available here; the message is meant for the person.
    #[error("{0}")]
    Unsupported(String),
    /// The file to drag cannot be used.
    #[error("cannot drag {}: {reason}", path.display())]
    File { path: PathBuf, reason: String },
    /// The X display cannot be reached.
    #[error("cannot open the X display {display:?} for dragging: {reason}")]
    Display { display: String, reason: String },
    /// The X server refused something the drag needs.
    #[error("dragging failed on X11: {0}")]
    X11(String),
    /// The platform's drag (macOS, Windows) failed.
    #[error("dragging failed: {0}")]
    Platform(String),
}

/// Settings of one drag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DragOptions {
    /// A window never to drop on: the app's own window (it accepts file drops itself, and a
    /// drag that ends back inside it should just be cancelled). An X11 window id.
    pub exclude_window: Option<u32>,
    /// The X display to drag on (e.g. `":0"`); None: the one `DISPLAY` names.
    pub display: Option<String>,
}

impl DragOptions {
    /// Options that keep the drag from dropping back onto `window`.
    pub fn excluding(window: &impl HasWindowHandle) -> Self {
        DragOptions {
            exclude_window: x11_window_id(window),
            display: None,
        }
    }
}

/// The X11 id of a window, when it is an X11 window.
#[allow(clippy::useless_conversion)] // Xlib's window is a c_ulong: u64 on Linux, u32 on Windows
fn x11_window_id(window: &impl HasWindowHandle) -> Option<u32> {
    match window.window_handle().ok()?.as_raw() {
        RawWindowHandle::Xlib(handle) => u32::try_from(handle.window).ok(),
        RawWindowHandle::Xcb(handle) => Some(handle.window.get()),
        _ => None,
    }
}

/// Whether a drag can start from this window; the error's text is for the tooltip.
pub fn check_support(window: &impl HasWindowHandle) -> Result<(), DndError> {
    let raw = window
        .window_handle()
        .map_err(|e| DndError::Platform(format!("the window has no handle: {e}")))?
        .as_raw();
    match raw {
        RawWindowHandle::Xlib(_) | RawWindowHandle::Xcb(_) if X11_PLATFORM => x11_display_support(),
        RawWindowHandle::AppKit(_) if cfg!(target_os = "macos") => Ok(()),
        RawWindowHandle::Win32(_) if cfg!(target_os = "windows") => Ok(()),
        _ => Err(DndError::Unsupported(UNSUPPORTED_MESSAGE.to_string())),
    }
}

/// X11 drags need an X display to connect to.
fn x11_display_support() -> Result<(), DndError> {
    match std::env::var_os("DISPLAY") {
        Some(display) if !display.is_empty() => Ok(()),
        _ => Err(DndError::Unsupported(UNSUPPORTED_MESSAGE.to_string())),
    }
}

/// The absolute path of an existing file, or an error naming it.
fn absolute_file(file: &Path) -> Result<PathBuf, DndError> {
    let path = std::fs::canonicalize(file).map_err(|e| DndError::File {
        path: file.to_path_buf(),
        reason: e.to_string(),
    })?;
    if !path.is_file() {
        return Err(DndError::File {
            path: file.to_path_buf(),
            reason: "it is not a file".into(),
        });
    }
    Ok(path)
}

/// Drags `file` out until it is dropped or cancelled (X11; blocking, so run it on a thread of
/// its own). Call it while the mouse button is held, once the pointer has left the window.
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
pub fn start_drag(file: &Path) -> Result<DragOutcome, DndError> {
    start_drag_with(file, &DragOptions::default())
}

/// [`start_drag`] with options (e.g. the app's own window excluded as a target).
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
pub fn start_drag_with(file: &Path, options: &DragOptions) -> Result<DragOutcome, DndError> {
    if options.display.is_none() {
        x11_display_support()?;
    }
    let path = absolute_file(file)?;
    x11::run_drag(&path, options)
}

/// Starts dragging `file` out of `window` and reports how it ended to `on_done`.
///
/// Call it from the UI thread while the button is held and the pointer has just left the
/// window. On X11 the drag runs on a new thread and this returns at once; on macOS and Windows
/// the platform runs it (Windows returns when it ends). `on_done` runs on whichever thread ends
/// the drag, so it should only send a message (and request a repaint).
pub fn start_drag_from_window(
    window: &impl HasWindowHandle,
    file: &Path,
    on_done: impl FnOnce(Result<DragOutcome, DndError>) + Send + 'static,
) -> Result<(), DndError> {
    check_support(window)?;
    let path = absolute_file(file)?;
    platform_drag(window, path, on_done)
}

#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
fn platform_drag(
    window: &impl HasWindowHandle,
    path: PathBuf,
    on_done: impl FnOnce(Result<DragOutcome, DndError>) + Send + 'static,
) -> Result<(), DndError> {
    let options = DragOptions::excluding(window);
    std::thread::Builder::new()
        .name("songsketch-drag-out".into())
        .spawn(move || on_done(x11::run_drag(&path, &options)))
        .map_err(|e| DndError::X11(format!("cannot start the drag thread: {e}")))?;
    Ok(())
}

#[cfg(any(target_os = "macos", target_os = "windows"))]
fn platform_drag(
    window: &impl HasWindowHandle,
    path: PathBuf,
    on_done: impl FnOnce(Result<DragOutcome, DndError>) + Send + 'static,
) -> Result<(), DndError> {
    use std::sync::Mutex;
    // The drag crate takes a callback it may call more than once; the first call counts.
    let on_done = Mutex::new(Some(on_done));
    let callback = move |result: drag::DragResult, _cursor: drag::CursorPosition| {
        let outcome = match result {
            drag::DragResult::Dropped => DragOutcome::Dropped { target: 0 },
            drag::DragResult::Cancel => DragOutcome::Cancelled,
        };
        if let Ok(mut slot) = on_done.lock()
            && let Some(on_done) = slot.take()
        {
            on_done(Ok(outcome));
        }
    };
    drag::start_drag(
        window,
        drag::DragItem::Files(vec![path]),
        drag::Image::Raw(DRAG_ICON_PNG.to_vec()),
        callback,
        drag::Options::default(),
    )
    .map_err(|e| DndError::Platform(e.to_string()))
}

/// The picture under the cursor while dragging on macOS and Windows (a 32×32 PNG).
#[cfg(any(target_os = "macos", target_os = "windows"))]
const DRAG_ICON_PNG: &[u8] = include_bytes!("../../assets/dnd/drag-icon.png");

#[cfg(not(any(
    all(unix, not(any(target_os = "ios", target_os = "android"))),
    target_os = "windows"
)))]
fn platform_drag(
    _window: &impl HasWindowHandle,
    _path: PathBuf,
    _on_done: impl FnOnce(Result<DragOutcome, DndError>) + Send + 'static,
) -> Result<(), DndError> {
    Err(DndError::Unsupported(UNSUPPORTED_MESSAGE.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use raw_window_handle::{HandleError, WaylandWindowHandle, WindowHandle};
    use std::ffi::c_void;
    use std::ptr::NonNull;

    /// A window as winit describes a native Wayland surface.
    struct WaylandWindow(WaylandWindowHandle);

    impl HasWindowHandle for WaylandWindow {
        fn window_handle(&self) -> Result<WindowHandle<'_>, HandleError> {
            // SAFETY: the handle is only inspected for its kind, never dereferenced.
            Ok(unsafe { WindowHandle::borrow_raw(RawWindowHandle::Wayland(self.0)) })
        }
    }

    #[test]
    fn a_native_wayland_window_gets_the_message_for_the_tooltip() {
        let window = WaylandWindow(WaylandWindowHandle::new(NonNull::<c_void>::dangling()));
        let error = check_support(&window).expect_err("Wayland cannot drag out");
        assert!(matches!(error, DndError::Unsupported(_)));
        assert_eq!(error.to_string(), UNSUPPORTED_MESSAGE);
        assert_eq!(DragOptions::excluding(&window).exclude_window, None);
    }

    #[test]
    fn a_missing_file_is_named_in_the_error() {
        let missing = Path::new("/nonexistent/Am-96bpm-12.mid");
        let error = absolute_file(missing).expect_err("no such file");
        assert!(error.to_string().contains("/nonexistent/Am-96bpm-12.mid"));
        let dir = tempfile::tempdir().expect("temp dir");
        let error = absolute_file(dir.path()).expect_err("a folder is not a file");
        assert!(error.to_string().contains("not a file"));
    }
}
