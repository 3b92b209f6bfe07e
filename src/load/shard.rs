//! One global schedule cut into shards: shard K of N takes tickets i with i mod N = K,
//! so N processes together send exactly the requests one would, at the same instants.

use std::fmt;

/// This process's part of the plan; `0/1` is the whole plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Shard {
        Shard { index: 0, count: 1 }
    }
}

impl Shard {
    pub fn is_whole(self) -> bool {
        self.count == 1
    }

    /// The global ticket number of this shard's `j`-th ticket.
    #[inline]
    pub fn ticket(self, j: u64) -> u64 {
        u64::from(self.index) + u64::from(self.count) * j
    }

    /// How many of the first `total` global tickets (or connections) are this shard's.
    pub fn share(self, total: u64) -> u64 {
        let (n, k) = (u64::from(self.count), u64::from(self.index));
        total / n + u64::from(k < total % n)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_tickets_exactly() {
        for count in 1..=5u32 {
            let total = 103u64;
            let mut seen = vec![0u8; total as usize];
            let mut shares = 0;
            for index in 0..count {
                let s = Shard { index, count };
                let mine: Vec<u64> = (0..)
                    .map(|j| s.ticket(j))
                    .take_while(|&i| i < total)
                    .collect();
                assert_eq!(mine.len() as u64, s.share(total), "{s}");
                shares += s.share(total);
                for i in mine {
                    seen[i as usize] += 1;
                }
            }
            assert_eq!(shares, total);
            assert!(
                seen.iter().all(|&n| n == 1),
                "{count} shards: each ticket once"
            );
        }
    }
}
