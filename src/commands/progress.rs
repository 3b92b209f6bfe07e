//! Live progress on stderr while a load runs: on a terminal, a bar with req/s, p50/p99
//! and the status mix from the first moment; elsewhere (CI, a pipe), one status line
//! every interval, as k6 prints, so a long run is never silent.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::load::{LoadPlan, Tick};
use crate::output::console;

/// Columns of the bar's template before its message: spinner, elapsed, bar, percent.
const BAR_COLUMNS: usize = 2 + 11 + 21 + 5;

pub struct Progress {
    mode: Mode,
    planned: Option<u64>,
    duration: Option<Duration>,
}

enum Mode {
    Off,
    Bar(Option<ProgressBar>),
    Lines { every: Duration, next: Duration },
}

impl Progress {
    pub fn new(wanted: bool, status_interval: Duration, plan: &LoadPlan) -> Progress {
        let mode = match (wanted, std::io::stderr().is_terminal()) {
            (false, _) => Mode::Off,
            (true, true) => Mode::Bar(None),
            (true, false) => Mode::Lines {
                every: status_interval,
                next: status_interval,
            },
        };
        Progress {
            mode,
            planned: plan.planned_requests(),
            duration: plan.duration,
        }
    }

    fn status(tick: &Tick) -> String {
        let live = &tick.live;
        let secs = tick.elapsed.as_secs_f64().max(1e-3);
        let rps = (live.responses + live.errors) as f64 / secs;
        let q = tick
            .handle
            .live_quantiles(&[0.5, 0.99])
            .map_or("-".into(), |q| {
                format!("p50 {:.1} ms · p99 {:.1} ms", q[0], q[1])
            });
        let ok = live
            .responses
            .saturating_sub(live.failures.saturating_sub(live.errors));
        format!(
            "{rps:.0} req/s · {q} · {ok} ok · {} 5xx · {} errors",
            live.status_5xx, live.errors
        )
    }

    pub fn update(&mut self, tick: &Tick) {
        match &mut self.mode {
            Mode::Off => {}
            Mode::Lines { every, next } => {
                if tick.elapsed >= *next {
                    *next += *every;
                    let line = format!(
                        "golive: {:.0}s · {} sent · {}",
                        tick.elapsed.as_secs_f64(),
                        tick.live.sent,
                        Self::status(tick)
                    );
                    console::errln(&console::status_line(&line));
                }
            }
            Mode::Bar(bar) => {
                let (len, pos) = match (self.duration, self.planned) {
                    (Some(d), _) => (d.as_millis() as u64, tick.elapsed.as_millis() as u64),
                    (None, Some(n)) => (n, tick.live.responses + tick.live.errors),
                    (None, None) => (1, 0),
                };
                let bar = bar.get_or_insert_with(|| {
                    let bar =
                        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{spinner} [{elapsed_precise}] {bar:20} {percent:>3}% {msg}",
                        )
                        .expect("static template"),
                    );
                    bar
                });
                bar.set_position(pos.min(len));
                // The template's fixed part takes BAR_COLUMNS; the message gets the rest.
                let room = console::width().saturating_sub(BAR_COLUMNS + 1).max(10);
                bar.set_message(console::fit(&Self::status(tick), room));
            }
        }
    }

    pub fn finish(&mut self) {
        if let Mode::Bar(Some(bar)) = &self.mode {
            bar.finish_and_clear();
        }
    }
}
