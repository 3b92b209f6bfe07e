//! The one histogram shape golive uses, and its portable text encoding.

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

/// Latency histogram in microseconds.
pub type Hist = Histogram<u64>;

/// 1 µs resolution up to one hour at 3 significant digits (0.1% error).
const LOWEST_US: u64 = 1;
const HIGHEST_US: u64 = 3_600_000_000;
const SIGFIG: u8 = 3;

/// Microseconds to milliseconds; exact, since the histogram's unit is 1 µs.
pub(crate) fn us_to_ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

pub fn new_hist() -> Hist {
    Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGFIG).expect("constant bounds are valid")
}

#[derive(Debug, thiserror::Error)]
pub enum HistCodecError {
    #[error("histogram is not valid base64")]
    Base64(#[from] base64::DecodeError),
    #[error("histogram does not decode: {0:?}")]
    Decode(hdrhistogram::serialization::DeserializeError),
    #[error("histogram does not fit golive's bounds: {0:?}")]
    Bounds(hdrhistogram::AdditionError),
}

/// HdrHistogram V2 + DEFLATE, base64: the same bytes as an HdrHistogram interval log line,
/// so other HdrHistogram tools can read golive's histograms.
pub fn encode_hist(h: &Hist) -> String {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(h, &mut bytes)
        .expect("serialising into a Vec cannot fail");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn decode_hist(text: &str) -> Result<Hist, HistCodecError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text)?;
    let decoded: Hist = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(HistCodecError::Decode)?;
    // Re-home into golive's bounds so that any two decoded histograms add.
    let mut h = new_hist();
    h.add(&decoded).map_err(HistCodecError::Bounds)?;
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trips_counts() {
        let mut h = new_hist();
        for v in [1, 250, 1_000, 99_999, 5_000_000] {
            h.record(v).unwrap();
        }
        let back = decode_hist(&encode_hist(&h)).unwrap();
        assert_eq!(back.len(), 5);
        assert_eq!(back.max(), h.max());
        assert_eq!(back.value_at_quantile(0.5), h.value_at_quantile(0.5));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode_hist("not base64!").is_err());
        assert!(decode_hist("aGVsbG8=").is_err());
    }
}
