//! HS256 test tokens (the seed's generate_all_test_jwts): header, claims, HMAC-SHA256
//! signature, base64url without padding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::hmac;
use serde_json::{Map, Value};

/// Signs `claims` with `secret`.
pub fn sign_hs256(claims: &Map<String, Value>, secret: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload =
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("a JSON map serialises"));
    let signing_input = format!("{header}.{payload}");
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, secret),
        signing_input.as_bytes(),
    );
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// Verifies an HS256 token and returns its claims (no expiry check: test helper).
pub fn verify_hs256(token: &str, secret: &[u8]) -> Option<Map<String, Value>> {
    let (signing_input, sig) = token.rsplit_once('.')?;
    let (header, payload) = signing_input.split_once('.')?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    if header.get("alg")? != "HS256" {
        return None;
    }
    let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
    hmac::verify(
        &hmac::Key::new(hmac::HMAC_SHA256, secret),
        signing_input.as_bytes(),
        &sig,
    )
    .ok()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// `k=v`: the value as JSON when it parses (numbers, booleans, arrays), else a string.
pub fn claim(kv: &str) -> Option<(String, Value)> {
    let (k, v) = kv.split_once('=')?;
    let k = k.trim();
    if k.is_empty() {
        return None;
    }
    let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()));
    Some((k.to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies() {
        let mut claims = Map::new();
        claims.insert("sub".into(), "hod@example.test".into());
        claims.insert("role".into(), "chief_engineer".into());
        let token = sign_hs256(&claims, b"s3cret");
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(verify_hs256(&token, b"s3cret"), Some(claims));
        assert_eq!(verify_hs256(&token, b"other"), None);
    }

    #[test]
    fn claims_parse_json_values_or_strings() {
        assert_eq!(
            claim("yacht_id=85fe"),
            Some(("yacht_id".into(), Value::from("85fe")))
        );
        assert_eq!(claim("level=3"), Some(("level".into(), Value::from(3))));
        assert_eq!(
            claim("admin=true"),
            Some(("admin".into(), Value::from(true)))
        );
        assert_eq!(claim("=x"), None);
        assert_eq!(claim("novalue"), None);
    }
}
