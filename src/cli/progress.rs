//! Progress of a long command on stderr: a spinner on a terminal, and where
//! stderr is a pipe or file (every CI job) a plain line every few seconds,
//! so a log shows the run is alive and how far it got.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::args::DataFormat;

/// Seconds before the first plain line and between lines. Tests set it
/// (fractions allowed) to see lines without a run of several seconds.
const INTERVAL_VARIABLE: &str = "FAULTPLAN_PROGRESS_SECS";
/// A run that ends within this many seconds prints nothing, so short runs'
/// stderr stays empty.
const FIRST_SECONDS: f64 = 2.0;
const EVERY_SECONDS: f64 = 5.0;

/// Where the library's progress reports go while a command runs.
pub(super) enum Progress {
    Off,
    Terminal(indicatif::ProgressBar),
    Plain {
        latest: Arc<Mutex<String>>,
        stop: Sender<()>,
        ticker: JoinHandle<()>,
    },
}

impl Progress {
    /// `command` names the lines (`faultplan plan: …`). The spinner is shown
    /// only with human output; plain lines also with JSON, since they go to
    /// stderr and a CI log wants them either way. `quiet` silences both.
    pub(super) fn start(command: &'static str, format: DataFormat, quiet: bool) -> Progress {
        let human = matches!(format, DataFormat::Human);
        if quiet {
            Progress::Off
        } else if std::io::stderr().is_terminal() {
            if human {
                spinner()
            } else {
                Progress::Off
            }
        } else {
            plain(command)
        }
    }

    /// The current stage, as the library reports it.
    pub(super) fn say(&self, message: String) {
        match self {
            Progress::Off => {}
            Progress::Terminal(spinner) => spinner.set_message(message),
            Progress::Plain { latest, .. } => {
                if let Ok(mut latest) = latest.lock() {
                    *latest = message;
                }
            }
        }
    }

    /// Ends the progress before the answer is printed.
    pub(super) fn clear(self) {
        match self {
            Progress::Off => {}
            Progress::Terminal(spinner) => spinner.finish_and_clear(),
            Progress::Plain { stop, ticker, .. } => {
                let _ = stop.send(());
                let _ = ticker.join();
            }
        }
    }
}

fn spinner() -> Progress {
    let spinner = indicatif::ProgressBar::new_spinner();
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
    {
        spinner.set_style(style);
    }
    spinner.enable_steady_tick(Duration::from_millis(120));
    Progress::Terminal(spinner)
}

/// A thread that prints the latest stage on a clock, not on each report:
/// reports come thousands of times a second in some stages and not at all
/// in others, and the log should get neither a flood nor silence.
fn plain(command: &'static str) -> Progress {
    let (first, every) = intervals();
    let latest = Arc::new(Mutex::new(String::new()));
    let (stop, stopped) = mpsc::channel::<()>();
    let shared = Arc::clone(&latest);
    let started = Instant::now();
    let ticker = std::thread::spawn(move || {
        let mut wait = first;
        loop {
            match stopped.recv_timeout(wait) {
                Err(RecvTimeoutError::Timeout) => {}
                _ => return,
            }
            let stage = shared.lock().map(|s| s.clone()).unwrap_or_default();
            let line = line(command, &stage, started.elapsed());
            let _ = writeln!(std::io::stderr().lock(), "{line}");
            wait = every;
        }
    });
    Progress::Plain {
        latest,
        stop,
        ticker,
    }
}

fn intervals() -> (Duration, Duration) {
    let set = std::env::var(INTERVAL_VARIABLE)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0);
    match set {
        Some(seconds) => (
            Duration::from_secs_f64(seconds),
            Duration::from_secs_f64(seconds),
        ),
        None => (
            Duration::from_secs_f64(FIRST_SECONDS),
            Duration::from_secs_f64(EVERY_SECONDS),
        ),
    }
}

/// `faultplan plan [12 s] repair: re-solving web, api; incumbent 23096.52
/// (bound 22950.1, gap 0.63%)`: the time first, like the spinner's, since
/// stage names hold commas of their own.
fn line(command: &str, stage: &str, elapsed: Duration) -> String {
    let stage = if stage.is_empty() { "starting" } else { stage };
    format!("faultplan {command} [{} s] {stage}", elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_gives_the_whole_seconds_then_the_stage_as_reported() {
        let at = Duration::from_millis(12_400);
        assert_eq!(
            line(
                "plan",
                "repair: re-solving web, api; incumbent 5 (bound 4, gap 20%)",
                at
            ),
            "faultplan plan [12 s] repair: re-solving web, api; incumbent 5 (bound 4, gap 20%)"
        );
        assert_eq!(line("plan", "", at), "faultplan plan [12 s] starting");
    }
}
