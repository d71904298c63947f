//! How long work tells where it is. The library prints nothing: training and scoring report
//! their steps and their progress through a [`Progress`], which the command line draws as timed
//! step lines and a progress bar, and which is [`Silent`] for a program that only wants results.

use std::time::Instant;

use crate::error::Result;

/// Receives the progress of training, scoring and evaluation.
pub trait Progress: Sync {
    /// A step finished after `seconds` (`"fitting the final model"`).
    fn step_done(&self, _what: &str, _seconds: f64) {}

    /// Long work moved on: `done` of `total` bytes of input, when the total is known;
    /// `message` says what is being done (`"12,000 leads scored"`).
    fn advanced(&self, _done: u64, _total: Option<u64>, _message: &str) {}

    /// The long work is over: whatever shows it can go.
    fn finished(&self) {}

    /// Something the user should know about the input, such as how an activity export was read
    /// (`"page_hits.csv (Mautic page hits): 1,204 rows → 1,204 events"`).
    fn noted(&self, _line: &str) {}
}

/// Progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Runs `work` as one step of `progress`, which hears what it was and how long it took.
pub fn step<T>(progress: &dyn Progress, what: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
    crate::interrupt::check()?;
    let begun = Instant::now();
    let result = work()?;
    progress.step_done(what, begun.elapsed().as_secs_f64());
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorded(Mutex<Vec<String>>);

    impl Progress for Recorded {
        fn step_done(&self, what: &str, _seconds: f64) {
            self.0.lock().unwrap().push(what.to_string());
        }
    }

    #[test]
    fn a_step_is_heard_once_it_is_done_and_not_when_it_fails() {
        let recorded = Recorded::default();
        assert_eq!(step(&recorded, "reading", || Ok(7)).unwrap(), 7);
        let failed: Result<()> = step(&recorded, "fitting", || Err(crate::Error::Runtime("no".into())));
        assert!(failed.is_err());
        assert_eq!(*recorded.0.lock().unwrap(), vec!["reading".to_string()]);
    }
}
