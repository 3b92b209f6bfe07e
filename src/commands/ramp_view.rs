//! The ramp as people watch it. On a terminal: one live line on stderr under the event
//! lines (step, weight, window n of m, time left in the step, the last window's verdict
//! and figures), redrawn twice a second. Elsewhere (CI, a pipe): a status line on
//! stderr after every window, and at least every `--status-interval` while the ramp
//! waits (a warm-up, a pause). Nothing with `--no-progress`. Every line fits the
//! terminal's width.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::console;
use crate::ramp::window::WindowRecord;
use crate::ramp::{Event, EventKind, RampPlan};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Off,
    Live,
    Lines,
}

/// What the view shows, updated by events and read by the ticker.
struct Status {
    steps: usize,
    step: Option<usize>,
    weight: u32,
    windows_planned: u32,
    window: u32,
    /// When the step's hold ends, as far as the plan says.
    hold_ends: Option<Instant>,
    last: Option<String>,
    /// What the ramp is doing when it is not judging windows.
    note: String,
    printed: Instant,
}

impl Status {
    fn line(&self) -> String {
        let mut parts = Vec::new();
        match self.step {
            Some(s) => parts.push(format!(
                "step {}/{} at {}% · window {} of {}",
                s + 1,
                self.steps,
                self.weight,
                self.window,
                self.windows_planned
            )),
            None => parts.push("before the first step".into()),
        }
        if let Some(end) = self.hold_ends {
            let left = end.saturating_duration_since(Instant::now()).as_secs();
            parts.push(format!("{} left", clock(left)));
        }
        if !self.note.is_empty() {
            parts.push(self.note.clone());
        }
        if let Some(last) = &self.last {
            parts.push(format!("last {last}"));
        }
        parts.join(" · ")
    }
}

fn clock(secs: u64) -> String {
    match secs {
        s if s >= 3600 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

fn window_summary(w: &WindowRecord) -> String {
    let s = &w.synthetic;
    let p95 = s
        .p95_ms
        .map_or("no p95".into(), |p| format!("p95 {p:.1} ms"));
    format!(
        "{} {p95}, {} 5xx of {}",
        w.verdict.as_str(),
        s.status_5xx,
        s.requests
    )
}

pub struct RampView {
    mode: Mode,
    status: Arc<Mutex<Status>>,
    bar: Option<ProgressBar>,
    plan_windows: Vec<u32>,
    holds: Vec<Duration>,
    every: Duration,
}

impl RampView {
    pub fn new(wanted: bool, status_interval: Duration, plan: &RampPlan) -> RampView {
        let mode = match (wanted, std::io::stderr().is_terminal()) {
            (false, _) => Mode::Off,
            (true, true) => Mode::Live,
            (true, false) => Mode::Lines,
        };
        let bar = (mode == Mode::Live).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}").expect("static template"),
            );
            bar
        });
        RampView {
            mode,
            status: Arc::new(Mutex::new(Status {
                steps: plan.steps.len(),
                step: None,
                weight: 0,
                windows_planned: 0,
                window: 0,
                hold_ends: None,
                last: None,
                note: "starting".into(),
                printed: Instant::now(),
            })),
            bar,
            plan_windows: plan.steps.iter().map(|s| plan.windows_in(s)).collect(),
            holds: plan.steps.iter().map(|s| s.hold).collect(),
            every: status_interval,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes in an event, printing its lines with `print` (around the live line).
    pub fn event(&self, e: &Event, print: impl FnOnce()) {
        let per_window = {
            let mut s = self.lock();
            match &e.kind {
                EventKind::PreGate { .. } => s.note = "pre-gate done".into(),
                EventKind::StepStarted {
                    step,
                    weight,
                    remaining_s,
                    ..
                } => {
                    s.step = Some(*step);
                    s.weight = *weight;
                    s.window = 0;
                    s.windows_planned = self.plan_windows.get(*step).copied().unwrap_or(0);
                    let left = Duration::try_from_secs_f64(*remaining_s)
                        .unwrap_or_else(|_| self.holds.get(*step).copied().unwrap_or_default());
                    s.hold_ends = Some(Instant::now() + left);
                    s.note = "warming up".into();
                }
                EventKind::Window(w) => {
                    s.window = w.window;
                    s.last = Some(window_summary(w));
                    s.note.clear();
                }
                EventKind::Paused { pause, .. } => {
                    s.note = format!("PAUSED (pause {pause}): waiting for approve or abort");
                    s.hold_ends = None;
                }
                EventKind::Approved { .. } => s.note = "approved".into(),
                EventKind::Promoted { weight, .. } => s.note = format!("{weight}% promoted"),
                EventKind::Aborted { .. } | EventKind::RollingBack { .. } => {
                    s.note = "rolling back".into();
                    s.hold_ends = None;
                }
                _ => {}
            }
            matches!(e.kind, EventKind::Window(_))
        };
        match (&self.bar, self.mode) {
            (Some(bar), _) => {
                bar.suspend(print);
                self.redraw();
            }
            (None, Mode::Lines) => {
                print();
                if per_window {
                    self.status_line();
                }
            }
            _ => print(),
        }
    }

    fn status_line(&self) {
        let mut s = self.lock();
        s.printed = Instant::now();
        let line = format!("golive: {}", s.line());
        drop(s);
        console::errln(&console::status_line(&line));
    }

    fn redraw(&self) {
        if let Some(bar) = &self.bar {
            let room = console::width().saturating_sub(3).max(20);
            bar.set_message(console::fit(&self.lock().line(), room));
            bar.tick();
        }
    }

    /// Redraws the live line (or prints a status line when one is due) until the
    /// returned task is aborted. Call inside the command's runtime.
    pub fn ticker(self: &Arc<Self>) -> Option<tokio::task::JoinHandle<()>> {
        if self.mode == Mode::Off {
            return None;
        }
        let view = self.clone();
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                match view.mode {
                    Mode::Live => view.redraw(),
                    Mode::Lines if view.lock().printed.elapsed() >= view.every => {
                        view.status_line()
                    }
                    _ => {}
                }
            }
        }))
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
