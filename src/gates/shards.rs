//! Shards of one plan: what each shard's result records, and the checks that make
//! `golive merge` refuse results that are not the shards of one plan, each once.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which part of which plan a result holds (`--shard K/N`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct ShardRecord {
    pub index: u32,
    pub count: u32,
    /// The plan's identity: a hash of the URL, method, rate, duration, request count,
    /// connections, timeout, protocol (with HTTP/2 streams and window), header names,
    /// body size and SLOs, all of the whole plan. Shards merge only with shards of the same plan.
    pub plan: String,
    /// The shared schedule start (`--start-at`), RFC 3339 with milliseconds.
    pub start_at: Option<String>,
}

/// The identity of a plan, from its canonical description: 16 bytes of SHA-256, hex.
pub fn plan_id(canonical: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
    hex::encode(&digest.as_ref()[..16])
}

/// What a merge of shards holds.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardSet {
    pub count: u32,
    pub plan: String,
    /// Shards not given (only with `--allow-partial`).
    pub missing: Vec<u32>,
    /// The start times differ: the shards did not share one schedule.
    pub start_differs: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ShardError {
    #[error("{shard} is shard {index} of a plan and {whole} is a whole run: merge the shards of one plan, or whole runs")]
    Mixed {
        shard: String,
        index: String,
        whole: String,
    },
    #[error("{a} and {b} are shards of different plans (URL, method, rate, duration, connections or SLOs differ)")]
    Plans { a: String, b: String },
    #[error("{a} is one of {ca} shards and {b} one of {cb}: shards of one plan share N")]
    Counts {
        a: String,
        ca: u32,
        b: String,
        cb: u32,
    },
    #[error("shard {index}/{count} is given twice ({a} and {b}): a shard counted twice would count its load twice")]
    Duplicate {
        index: u32,
        count: u32,
        a: String,
        b: String,
    },
    #[error("shard(s) {missing} of {count} missing; --allow-partial merges what is here (the verdict is then inconclusive at best)")]
    Missing { missing: String, count: u32 },
}

/// Checks that `named` (file name, the shard its result records) are the shards of
/// one plan, each once, and all of them unless `allow_partial`. `None`: whole runs,
/// merged as before.
pub fn check(
    named: &[(String, Option<&ShardRecord>)],
    allow_partial: bool,
) -> Result<Option<ShardSet>, ShardError> {
    let sharded: Vec<(&String, &ShardRecord)> = named
        .iter()
        .filter_map(|(name, s)| s.map(|s| (name, s)))
        .collect();
    let Some(&(first_name, first)) = sharded.first() else {
        return Ok(None);
    };
    if let Some((whole, _)) = named.iter().find(|(_, s)| s.is_none()) {
        return Err(ShardError::Mixed {
            shard: first_name.clone(),
            index: format!("{}/{}", first.index, first.count),
            whole: whole.clone(),
        });
    }
    let mut seen: BTreeMap<u32, &String> = BTreeMap::new();
    for &(name, s) in &sharded {
        if s.count != first.count {
            return Err(ShardError::Counts {
                a: first_name.clone(),
                ca: first.count,
                b: name.clone(),
                cb: s.count,
            });
        }
        if s.plan != first.plan {
            return Err(ShardError::Plans {
                a: first_name.clone(),
                b: name.clone(),
            });
        }
        if let Some(earlier) = seen.insert(s.index, name) {
            return Err(ShardError::Duplicate {
                index: s.index,
                count: s.count,
                a: earlier.clone(),
                b: name.clone(),
            });
        }
    }
    let missing: Vec<u32> = (0..first.count).filter(|i| !seen.contains_key(i)).collect();
    if !missing.is_empty() && !allow_partial {
        let list: Vec<String> = missing.iter().map(u32::to_string).collect();
        return Err(ShardError::Missing {
            missing: list.join(", "),
            count: first.count,
        });
    }
    Ok(Some(ShardSet {
        count: first.count,
        plan: first.plan.clone(),
        missing,
        start_differs: sharded.iter().any(|(_, s)| s.start_at != first.start_at),
    }))
}
