//! The pure edit of `release_gate/run_all.py`: a marked block defining the Stage 4
//! tail-runner goes before the `if __name__ == "__main__":` guard, and the guard's body
//! is wrapped so that the original gate runs unchanged and first, then Stage 4, and
//! the final exit code fails when either failed. The file's line endings and
//! indentation unit are kept; every original line survives verbatim (the guard's
//! body one indentation level deeper), so [`revert`] restores the exact bytes.

pub const BEGIN: &str = "# === Stage 4 – Production Go-Live (v0.4.0) ===";
pub const END: &str = "# === end Stage 4 ===";
const GUARD_BEGIN: &str =
    "# === Stage 4 – Production Go-Live (v0.4.0): the original gate runs first ===";
const WRAPPER_DEF: &str = "def _golive_original_gate():";
const WRAPPER_CALL: &str = "_golive_with_stage4(_golive_original_gate)";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error("not UTF-8 text; golive edits UTF-8 files only")]
    NotUtf8,
    #[error("no top-level `if __name__ == \"__main__\":` block: golive runs Stage 4 after the gate's entry point and needs one")]
    NoGuard,
    #[error(
        "{0} top-level `if __name__ == \"__main__\":` blocks: which one runs the gate is ambiguous"
    )]
    ManyGuards(usize),
    #[error("the `if __name__ == \"__main__\":` block at line {0} has no indented body on the lines below it")]
    EmptyGuard(usize),
    #[error("Stage 4 markers are present but not in the shape golive writes (edited by hand?)")]
    Unrecognised,
}

/// Whether the Stage 4 block is present.
pub fn is_integrated(text: &str) -> bool {
    text.contains(BEGIN) || text.contains(GUARD_BEGIN)
}

fn eol_of(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// Lines with their terminators, so that joining them gives the text back exactly.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn content(line: &str) -> &str {
    line.trim_end_matches(['\n', '\r'])
}

fn is_blank(line: &str) -> bool {
    content(line).trim().is_empty()
}

/// `if __name__ == "__main__":` at column 0, either quote style, optional comment.
fn is_guard(line: &str) -> bool {
    let Some(rest) = content(line).strip_prefix("if") else {
        return false;
    };
    if !rest.starts_with(char::is_whitespace) {
        return false;
    }
    let Some(rest) = rest.trim_start().strip_prefix("__name__") else {
        return false;
    };
    let Some(rest) = rest.trim_start().strip_prefix("==") else {
        return false;
    };
    let rest = rest.trim_start();
    let Some(rest) = rest
        .strip_prefix("\"__main__\"")
        .or_else(|| rest.strip_prefix("'__main__'"))
    else {
        return false;
    };
    let Some(rest) = rest.trim_start().strip_prefix(':') else {
        return false;
    };
    let rest = rest.trim_start();
    rest.is_empty() || rest.starts_with('#')
}

/// The guard's line index and the end (exclusive) of its indented body.
fn find_guard(lines: &[&str]) -> Result<(usize, usize), ShapeError> {
    let guards: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| is_guard(l))
        .map(|(i, _)| i)
        .collect();
    let guard = match guards.as_slice() {
        [] => return Err(ShapeError::NoGuard),
        [g] => *g,
        many => return Err(ShapeError::ManyGuards(many.len())),
    };
    let mut end = guard + 1;
    let mut last_body = None;
    while end < lines.len() {
        let l = content(lines[end]);
        if !l.trim().is_empty() && !l.starts_with(char::is_whitespace) {
            break;
        }
        if !l.trim().is_empty() {
            last_body = Some(end);
        }
        end += 1;
    }
    let last = last_body.ok_or(ShapeError::EmptyGuard(guard + 1))?;
    Ok((guard, last + 1))
}

/// The helper block: `_run_stage4()` and the wrapper that sequences gate and Stage 4.
fn helper_block(unit: &str, eol: &str) -> String {
    let body = [
        BEGIN,
        "# Added by `golive patch apply`; `golive patch rollback` restores the original file.",
        "# Rule: Stage 4 runs only after the original gate finished a real run (not --help,",
        "# not a usage error, which exits 2). The gate's own exit status is kept as it was;",
        "# when the gate passed, a failing Stage 4 makes the exit status 1.",
        "def _run_stage4():",
        "@\"\"\"Runs `golive stage4` (GOLIVE_BIN, default: golive) from the project root.\"\"\"",
        "@import os",
        "@import subprocess",
        "@import sys",
        "@root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))",
        "@timeout = float(os.environ.get(\"GOLIVE_STAGE4_TIMEOUT\", \"600\"))",
        "@sys.stdout.flush()",
        "@print(\"\\n[Stage 4] Running Production Go-Live Readiness v0.4.0 ...\", flush=True)",
        "@cmd = [os.environ.get(\"GOLIVE_BIN\", \"golive\"), \"stage4\",",
        "@@\"--out\", os.path.join(root, \"qa\", \"stage4\", \"v0.4.0\")]",
        "@try:",
        "@@rc = subprocess.run(cmd, cwd=root, env=dict(os.environ), timeout=timeout).returncode",
        "@except subprocess.TimeoutExpired:",
        "@@print(\"[Stage 4] killed after %gs (GOLIVE_STAGE4_TIMEOUT)\" % timeout, flush=True)",
        "@@return 1",
        "@except OSError as exc:",
        "@@print(\"[Stage 4] cannot run %s: %s\" % (cmd[0], exc), flush=True)",
        "@@return 1",
        "@print(\"[Stage 4] exit code: %d\" % rc, flush=True)",
        "@return rc",
        "",
        "",
        "def _golive_with_stage4(original_gate):",
        "@\"\"\"Runs the original gate first, then Stage 4 (see the rule above).\"\"\"",
        "@import sys",
        "@try:",
        "@@original_gate()",
        "@@code = None",
        "@except SystemExit as exc:",
        "@@code = exc.code",
        "@if code == 2 or any(a in (\"-h\", \"--help\") for a in sys.argv[1:]):",
        "@@sys.exit(code)",
        "@s4 = _run_stage4()",
        "@if code not in (None, 0):",
        "@@sys.exit(code)",
        "@final_rc = 0 if s4 == 0 else 1",
        "@print(\"[ReleaseGate] Final exit code (with Stage 4): %d\" % final_rc, flush=True)",
        "@sys.exit(final_rc)",
        END,
        "",
        "",
    ];
    body.iter()
        .map(|l| format!("{}{eol}", indent(l, unit)))
        .collect()
}

/// `@` at the start of a template line stands for one indentation unit.
fn indent(line: &str, unit: &str) -> String {
    let depth = line.chars().take_while(|&c| c == '@').count();
    format!("{}{}", unit.repeat(depth), &line[depth..])
}

/// Inserts the Stage 4 tail-runner. Refuses shapes it does not recognise.
pub fn apply(text: &str) -> Result<String, ShapeError> {
    if is_integrated(text) {
        return Err(ShapeError::Unrecognised);
    }
    let eol = eol_of(text);
    let lines = lines(text);
    let (guard, body_end) = find_guard(&lines)?;
    let first_body = lines[guard + 1..body_end]
        .iter()
        .find(|l| !is_blank(l))
        .expect("find_guard saw a body line");
    let unit: String = content(first_body)
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    // The guard line must end with a newline before the body can follow it.
    let mut out = String::with_capacity(text.len() + 2048);
    out.extend(lines[..guard].iter().copied());
    out.push_str(&helper_block(&unit, eol));
    out.push_str(lines[guard]);
    out.push_str(&format!("{unit}{GUARD_BEGIN}{eol}{unit}{WRAPPER_DEF}{eol}"));
    let body = &lines[guard + 1..body_end];
    for line in body {
        if is_blank(line) {
            out.push_str(line);
        } else {
            out.push_str(&unit);
            out.push_str(line);
        }
    }
    if !body.last().is_some_and(|l| l.ends_with('\n')) {
        out.push_str(eol);
    }
    out.push_str(&format!("{unit}{WRAPPER_CALL}{eol}{unit}{END}{eol}"));
    out.extend(lines[body_end..].iter().copied());
    Ok(out)
}

/// Removes what [`apply`] added, giving back the original bytes; `None` when the
/// Stage 4 blocks are not exactly in the shape golive writes.
pub fn revert(text: &str) -> Option<String> {
    let lines = lines(text);
    let begin = lines.iter().position(|l| content(l) == BEGIN)?;
    let helper_end = begin + lines[begin..].iter().position(|l| content(l) == END)?;
    let guard_begin = lines
        .iter()
        .position(|l| content(l).trim_start() == GUARD_BEGIN)?;
    let unit: String = content(lines[guard_begin])
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let eol = eol_of(text);
    // The helper block is exactly what apply wrote for this unit and line ending.
    let helper: String = lines[begin..helper_end + 3].concat();
    if helper != helper_block(&unit, eol) || guard_begin != helper_end + 4 {
        return None;
    }
    if content(lines.get(guard_begin + 1)?) != format!("{unit}{WRAPPER_DEF}") {
        return None;
    }
    let call = guard_begin
        + lines[guard_begin..]
            .iter()
            .position(|l| content(l) == format!("{unit}{WRAPPER_CALL}"))?;
    if content(lines.get(call + 1)?) != format!("{unit}{END}") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    out.extend(lines[..begin].iter().copied());
    out.push_str(lines[helper_end + 3]); // the guard line
    for line in &lines[guard_begin + 2..call] {
        if is_blank(line) {
            out.push_str(line);
        } else {
            out.push_str(line.strip_prefix(unit.as_str())?);
        }
    }
    out.extend(lines[call + 2..].iter().copied());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXITS_IN_MAIN: &str = "import sys\n\n\ndef main():\n    rc = 0\n    sys.exit(rc)\n\n\nif __name__ == \"__main__\":\n    main()\n";
    const RETURNS_RC: &str = "import sys\n\ndef main():\n    return 0\n\nif __name__ == '__main__':  # entry\n    sys.exit(main())\n";

    #[test]
    fn recognises_only_the_guard() {
        assert!(is_guard("if __name__ == \"__main__\":\n"));
        assert!(is_guard("if __name__=='__main__':  # go\r\n"));
        assert!(!is_guard("    if __name__ == \"__main__\":\n"));
        assert!(!is_guard("if __name__ == \"__main__\": main()\n"));
        assert!(!is_guard("if __name__ != \"__main__\":\n"));
        assert!(!is_guard("if__name__ == \"__main__\":\n"));
    }

    #[test]
    fn apply_wraps_the_original_body_and_revert_restores_the_bytes() {
        for original in [EXITS_IN_MAIN, RETURNS_RC] {
            let patched = apply(original).unwrap();
            assert!(is_integrated(&patched));
            assert!(
                patched.contains("        main()\n")
                    || patched.contains("        sys.exit(main())\n"),
                "{patched}"
            );
            assert_eq!(revert(&patched).as_deref(), Some(original));
        }
    }

    #[test]
    fn crlf_and_tabs_are_kept() {
        let original = EXITS_IN_MAIN.replace("    ", "\t").replace('\n', "\r\n");
        let patched = apply(&original).unwrap();
        assert!(!patched.replace("\r\n", "").contains('\n'), "no bare LF");
        assert!(patched.contains("\t\timport os\r\n") || patched.contains("\timport os\r\n"));
        assert!(
            !patched.contains("    "),
            "no spaces where the file uses tabs"
        );
        assert_eq!(revert(&patched).as_deref(), Some(original.as_str()));
    }

    #[test]
    fn refuses_unrecognised_shapes() {
        assert_eq!(
            apply("def main():\n    pass\n\nmain()\n"),
            Err(ShapeError::NoGuard)
        );
        assert_eq!(
            apply("if __name__ == '__main__':\n\n"),
            Err(ShapeError::EmptyGuard(1))
        );
        let two = "if __name__ == '__main__':\n    a()\nif __name__ == '__main__':\n    b()\n";
        assert_eq!(apply(two), Err(ShapeError::ManyGuards(2)));
        let patched = apply(EXITS_IN_MAIN).unwrap();
        assert_eq!(apply(&patched), Err(ShapeError::Unrecognised));
        assert_eq!(
            revert(&patched.replace("s4 = _run_stage4()\n", "s4 = _run_stage4()  # edited\n")),
            None
        );
    }

    #[test]
    fn a_file_without_a_final_newline_round_trips() {
        let original = "def main():\n    return 0\n\nif __name__ == \"__main__\":\n    main()";
        let patched = apply(original).unwrap();
        assert!(patched.ends_with(&format!("{END}\n")));
        // The missing newline is the one byte apply has to add; revert keeps it.
        assert_eq!(revert(&patched).unwrap(), format!("{original}\n"));
    }
}
