//! Ctrl-C and SIGTERM. The first one sets a flag that long work checks as it goes (between
//! batches, every so many events, at each evaluation of the model's loss), so that it stops,
//! removes its temporary files and folders as it unwinds, and the process exits with 130; a
//! second one ends the process at once. Without [`install`] (the library used on its own) the
//! flag is never set and the signals keep their usual meaning.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// Set by the first SIGINT or SIGTERM.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit status of a process ended by the second signal (as a shell reports Ctrl-C).
const SECOND_SIGNAL_EXIT: i32 = 130;

/// Catches SIGINT and SIGTERM for the rest of the process.
pub fn install() -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM] {
        // The shutdown first: it ends the process only once the flag is already set.
        signal_hook::flag::register_conditional_shutdown(signal, SECOND_SIGNAL_EXIT, &INTERRUPTED)
            .and_then(|_| signal_hook::flag::register(signal, &INTERRUPTED))
            .map_err(|e| Error::Runtime(format!("cannot catch Ctrl-C and SIGTERM: {e}")))?;
    }
    Ok(())
}

/// Whether a signal asked the work to stop.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// [`Error::Interrupted`] once a signal asked the work to stop.
pub fn check() -> Result<()> {
    if interrupted() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}
