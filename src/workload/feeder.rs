//! Feeders: rows of data for `${column}` placeholders, from a CSV file with a header
//! row or JSON lines (one object per line), each with a mode: `queue` (every row once,
//! in order; the run ends when they are spent), `shuffle` (every row once, in an order
//! the seed decides; ends likewise), `circular` (in order, round and round) or `random`
//! (any row each time). Which row a request gets depends only on its place in the plan
//! and the seed, so shards and repeated runs agree.

use std::path::Path;

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Queue,
    Shuffle,
    Circular,
    Random,
}

impl Mode {
    /// Every row once: the run ends when they are spent.
    pub fn ends(self) -> bool {
        matches!(self, Mode::Queue | Mode::Shuffle)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Queue => "queue",
            Mode::Shuffle => "shuffle",
            Mode::Circular => "circular",
            Mode::Random => "random",
        }
    }
}

/// A `[feeder.NAME]` table.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeederSpec {
    /// CSV (a header row names the columns) or JSON lines (`.jsonl`, `.ndjson`),
    /// relative to the workload file.
    pub file: String,
    #[serde(default = "queue")]
    pub mode: Mode,
}

fn queue() -> Mode {
    Mode::Queue
}

/// A feeder's data, loaded and checked.
#[derive(Clone, Debug)]
pub struct Feeder {
    pub name: String,
    pub mode: Mode,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// `shuffle`: the order the rows are dealt in.
    pub order: Vec<u32>,
}

/// Reads a feeder's file; errors say `file:line: why`.
pub fn load(name: &str, spec: &FeederSpec, base: &Path, seed: u64) -> Result<Feeder, String> {
    let path = base.join(&spec.file);
    let shown = path.display().to_string();
    let bytes =
        crate::input::read(&path, crate::input::BODY).map_err(|e| format!("{shown}: {e}"))?;
    let json = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("jsonl" | "ndjson")
    );
    let (columns, rows) = if json {
        json_lines(&bytes, &shown)?
    } else {
        csv_rows(&bytes, &shown)?
    };
    if rows.is_empty() {
        return Err(format!(
            "{shown}: no rows: feeder '{name}' has nothing to give"
        ));
    }
    let mut order: Vec<u32> = (0..rows.len() as u32).collect();
    if spec.mode == Mode::Shuffle {
        fastrand::Rng::with_seed(seed ^ 0x5eed_f33d).shuffle(&mut order);
    }
    Ok(Feeder {
        name: name.into(),
        mode: spec.mode,
        columns,
        rows,
        order,
    })
}

type Table = (Vec<String>, Vec<Vec<String>>);

fn csv_rows(bytes: &[u8], shown: &str) -> Result<Table, String> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{shown}:1: {e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            format!("{shown}:{line}: {e}")
        })?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok((columns, rows))
}

fn json_lines(bytes: &[u8], shown: &str) -> Result<Table, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("{shown}: not UTF-8: {e}"))?;
    let mut columns: Vec<String> = Vec::new();
    let mut objects = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
            .map_err(|e| format!("{shown}:{}: not a JSON object: {e}", i + 1))?;
        if columns.is_empty() {
            columns = value.keys().cloned().collect();
        }
        objects.push((i + 1, value));
    }
    let rows = objects
        .into_iter()
        .map(|(line, o)| {
            columns
                .iter()
                .map(|c| match o.get(c) {
                    Some(serde_json::Value::String(s)) => Ok(s.clone()),
                    Some(v) => Ok(v.to_string()),
                    None => Err(format!("{shown}:{line}: no '{c}' (the first line has it)")),
                })
                .collect()
        })
        .collect::<Result<_, String>>()?;
    Ok((columns, rows))
}

impl Feeder {
    /// The row for the `ordinal`-th request that uses this feeder (`None`: spent),
    /// `random_draw` deciding a `random` feeder's row.
    pub fn row(&self, ordinal: u64, random_draw: u64) -> Option<&[String]> {
        let n = self.rows.len() as u64;
        let i = match self.mode {
            Mode::Queue => (ordinal < n).then_some(ordinal)?,
            Mode::Shuffle => u64::from(*self.order.get(ordinal as usize)?),
            Mode::Circular => ordinal % n,
            Mode::Random => random_draw % n,
        };
        self.rows.get(i as usize).map(Vec::as_slice)
    }
}
