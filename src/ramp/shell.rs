//! The user's commands (set-weight, rollback, guards, hooks): `sh -c`, bounded by a
//! timeout that kills the whole process group, with the output's tail kept as evidence.

use std::process::Stdio;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// How much of a command's output is kept (its end: where errors are).
const KEEP_OUTPUT: usize = 4096;

/// How a command ended.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct CmdResult {
    pub command: String,
    /// The exit code; `null` when it did not exit by itself (timeout, signal, no start).
    pub exit_code: Option<i32>,
    pub timed_out: bool,
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
            (_, _, Some(0)) => "exit 0".into(),
            (_, _, Some(c)) => format!("exit {c}"),
            _ => "killed by a signal".into(),
        }
    }
}

/// Runs `command` with `sh -c`, extra `env`, and `stdin` (closed when `None`).
pub async fn run(
    command: &str,
    env: &[(&str, String)],
    stdin: Option<Vec<u8>>,
    timeout: Duration,
) -> CmdResult {
    let started = std::time::Instant::now();
    let mut result = CmdResult {
        command: command.to_string(),
        exit_code: None,
        timed_out: false,
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
        // Its own process group, so a timeout kills what it started too.
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
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A hook that does not read its stdin is not an error.
        tokio::spawn(async move {
            let _ = pipe.write_all(&bytes).await;
        });
    }
    let out = tokio::spawn(tail(child.stdout.take()));
    let err = tokio::spawn(tail(child.stderr.take()));
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => result.exit_code = status.code(),
        Ok(Err(e)) => result.spawn_error = Some(e.to_string()),
        Err(_) => {
            result.timed_out = true;
            if let Some(pid) = child.id() {
                // SAFETY: killpg only sends a signal; the group is the child's own.
                unsafe { libc::killpg(pid as libc::pid_t, libc::SIGKILL) };
            }
            let _ = child.kill().await;
        }
    }
    let mut output = out.await.unwrap_or_default();
    output.extend(err.await.unwrap_or_default());
    let start = output.len().saturating_sub(KEEP_OUTPUT);
    result.output = String::from_utf8_lossy(&output[start..])
        .trim_end()
        .to_string();
    result.duration_s = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    result
}

/// Reads a pipe to its end, keeping the last bytes only.
async fn tail(pipe: Option<impl AsyncRead + Unpin>) -> Vec<u8> {
    let Some(mut pipe) = pipe else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    // Bounded: a grandchild that keeps the pipe open after a kill is not waited for.
    let read_all = async {
        while let Ok(n) = pipe.read(&mut buf).await {
            if n == 0 {
                break;
            }
            kept.extend_from_slice(&buf[..n]);
            if kept.len() > 2 * KEEP_OUTPUT {
                kept.drain(..kept.len() - KEEP_OUTPUT);
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(600), read_all).await;
    kept
}
