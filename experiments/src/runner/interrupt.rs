//! Stopping a run on request: on SIGTERM or SIGUSR1 (what Slurm sends before a time limit or a
//! preemption, e.g. `--signal=B:USR1@120`) the runs of the process write a checkpoint at their
//! next step and stop; the binary then exits with [`EXIT_INTERRUPTED`]. A second signal of
//! either kind is not caught again: the default action (termination) takes over, so an impatient
//! user is never stuck.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Once};

use signal_hook::consts::{SIGTERM, SIGUSR1};

/// The exit status of a binary whose runs stopped on a signal after writing their checkpoints
/// (75, `EX_TEMPFAIL` of sysexits.h: "try again"); rerun with `--resume` to continue.
pub const EXIT_INTERRUPTED: u8 = 75;

/// The signals caught, each with the flag it sets.
static CAUGHT: LazyLock<[(i32, &str, Arc<AtomicBool>); 2]> = LazyLock::new(|| {
    [
        (SIGTERM, "SIGTERM", Arc::new(AtomicBool::new(false))),
        (SIGUSR1, "SIGUSR1", Arc::new(AtomicBool::new(false))),
    ]
});
/// Set by either signal: with it set, a second one terminates.
static ANY: LazyLock<Arc<AtomicBool>> = LazyLock::new(|| Arc::new(AtomicBool::new(false)));
static INSTALL: Once = Once::new();

/// Catches SIGTERM and SIGUSR1 from now on (once per process; later calls do nothing). Returns
/// an error naming the signal if a handler cannot be installed.
pub fn install() -> Result<(), String> {
    let mut result = Ok(());
    INSTALL.call_once(|| {
        for (signal, name, flag) in CAUGHT.iter() {
            let installed =
                signal_hook::flag::register_conditional_default(*signal, Arc::clone(&ANY))
                    .and_then(|_| signal_hook::flag::register(*signal, Arc::clone(&ANY)))
                    .and_then(|_| signal_hook::flag::register(*signal, Arc::clone(flag)));
            if let Err(e) = installed {
                result = Err(format!("cannot catch {name}: {e}"));
            }
        }
    });
    result
}

/// The signal that asked the runs to stop, if one did.
pub fn requested() -> Option<&'static str> {
    CAUGHT
        .iter()
        .find(|(_, _, flag)| flag.load(Ordering::Relaxed))
        .map(|(_, name, _)| *name)
}
