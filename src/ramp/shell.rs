//! The user's commands (set-weight, rollback, guards, hooks): `sh -c` in a process
//! group of its own, bounded by a timeout and the cancel token (either kills the whole
//! group), with the output's tail kept as evidence.

use std::process::Stdio;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::shutdown::Cancel;

/// How much of a command's output is kept (its end: where errors are).
const KEEP_OUTPUT: usize = 4096;

/// How a command ended.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct CmdResult {
    pub command: String,
    /// The exit code; `null` when it did not exit by itself (timeout, signal, no start).
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// Stopped by golive (Ctrl-C, or `golive ramp abort`) before it exited.
    #[serde(default)]
    pub interrupted: bool,
    /// Why it could not start, when it could not.
    pub spawn_error: Option<String>,
    /// The last 4 KiB of stdout then stderr.
    pub output: String,
    pub duration_s: f64,
}

impl CmdResult {
    pub fn ok(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// It ran to an exit code of its own (a breach is then the command's answer).
    pub fn ran(&self) -> bool {
        self.exit_code.is_some()
    }

    /// One line: what happened.
    pub fn describe(&self) -> String {
        match (&self.spawn_error, self.timed_out, self.exit_code) {
            (Some(e), _, _) => format!("could not start: {e}"),
            (_, true, _) => format!("timed out after {:.1}s and was killed", self.duration_s),
            _ if self.interrupted => format!("stopped after {:.1}s (interrupted)", self.duration_s),
            (_, _, Some(0)) => "exit 0".into(),
            (_, _, Some(c)) => format!("exit {c}"),
            _ => "killed by a signal".into(),
        }
    }
}

/// How long a command's output is still read after it exited (a background child it
/// left may hold the pipes open; it is killed, and the rest of its output dropped).
const DRAIN: Duration = Duration::from_millis(500);

/// How long a command may take to stop after SIGTERM before its group gets SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(2);

fn signal_group(pgid: u32, sig: libc::c_int) {
    // SAFETY: killpg only sends a signal; the group is the one our child leads.
    unsafe { libc::killpg(pgid as libc::pid_t, sig) };
}

/// Runs `command` with `sh -c`, extra `env`, and `stdin` (closed when `None`), in a
/// process group of its own. golive waits for the command to *exit* (not for its pipes
/// to close), then kills whatever it left in its group, so no process outlives it. On
/// timeout, or when `cancel` is cancelled beyond `seen`, the whole group gets SIGTERM,
/// then SIGKILL after a grace period.
pub async fn run(
    command: &str,
    env: &[(&str, String)],
    stdin: Option<Vec<u8>>,
    timeout: Duration,
    cancel: &Cancel,
    seen: u32,
) -> CmdResult {
    let started = std::time::Instant::now();
    let mut result = CmdResult {
        command: command.to_string(),
        exit_code: None,
        timed_out: false,
        interrupted: false,
        spawn_error: None,
        output: String::new(),
        duration_s: 0.0,
    };
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            result.spawn_error = Some(e.to_string());
            return result;
        }
    };
    let pgid = child.id();
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A hook that does not read its stdin is not an error.
        tokio::spawn(async move {
            let _ = pipe.write_all(&bytes).await;
        });
    }
    let out = tokio::spawn(tail(child.stdout.take()));
    let err = tokio::spawn(tail(child.stderr.take()));
    let stop = tokio::select! {
        status = child.wait() => {
            match status {
                Ok(s) => result.exit_code = s.code(),
                Err(e) => result.spawn_error = Some(e.to_string()),
            }
            None
        }
        _ = tokio::time::sleep(timeout) => Some(false),
        _ = cancel.beyond(seen) => Some(true),
    };
    if let Some(interrupted) = stop {
        result.timed_out = !interrupted;
        result.interrupted = interrupted;
        if let Some(pgid) = pgid {
            signal_group(pgid, libc::SIGTERM);
            if tokio::time::timeout(TERM_GRACE, child.wait())
                .await
                .is_err()
            {
                signal_group(pgid, libc::SIGKILL);
            }
        }
        let _ = child.kill().await;
    }
    // What the command left running in its group (`sleep 1000 &`) goes with it.
    if let Some(pgid) = pgid {
        signal_group(pgid, libc::SIGKILL);
    }
    let mut output = drain(out).await;
    output.extend(drain(err).await);
    let start = output.len().saturating_sub(KEEP_OUTPUT);
    result.output = String::from_utf8_lossy(&output[start..])
        .trim_end()
        .to_string();
    result.duration_s = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    result
}

/// A reader's bytes, waiting at most [`DRAIN`] for the pipe to close.
async fn drain(reader: tokio::task::JoinHandle<Vec<u8>>) -> Vec<u8> {
    let abort = reader.abort_handle();
    match tokio::time::timeout(DRAIN, reader).await {
        Ok(Ok(bytes)) => bytes,
        _ => {
            abort.abort();
            Vec::new()
        }
    }
}

/// Reads a pipe to its end, keeping the last bytes only.
async fn tail(pipe: Option<impl AsyncRead + Unpin>) -> Vec<u8> {
    let Some(mut pipe) = pipe else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > 2 * KEEP_OUTPUT {
            kept.drain(..kept.len() - KEEP_OUTPUT);
        }
    }
    kept
}
