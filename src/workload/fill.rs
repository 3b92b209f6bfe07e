//! Placeholders in a workload's paths and bodies, filled per send: `${seq}` (the
//! request's place in the whole plan, from 0), `${uuid}`, `${rand_int(A,B)}`,
//! `${rand_regex('PATTERN')}` (ASCII), a feeder's column (`${sku}`, or
//! `${feeder.column}`), and the environment (filled once, when the file is read).
//! Every value depends only on the seed and the request's place in the plan, so a run
//! can be sent again exactly, and shards send their parts of the same sequence.

use std::fmt;
use std::io::Write as _;

use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body_util::Full;
use percent_encoding::{AsciiSet, CONTROLS};
use rand::distr::Distribution;
use rand::{Rng, RngExt, SeedableRng};

use super::feeder::Feeder;
use crate::http::ReqBody;

/// Bytes a value may not carry into a request-target as they are.
const NOT_IN_PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

enum Gen {
    Seq,
    Uuid,
    RandInt(i64, i64),
    RandRegex(Box<rand_regex::Regex>),
    Column { feeder: usize, column: usize },
}

enum Part {
    Lit(Vec<u8>),
    Gen(Gen),
}

/// A text with placeholders, parsed once.
pub struct Pattern {
    parts: Vec<Part>,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({} parts)", self.parts.len())
    }
}

/// What a placeholder may name.
pub struct Names<'a> {
    pub feeders: &'a [Feeder],
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl Names<'_> {
    fn column(&self, name: &str) -> Result<Option<(usize, usize)>, String> {
        if let Some((f, c)) = name.split_once('.') {
            let Some(fi) = self.feeders.iter().position(|x| x.name == f) else {
                return Ok(None);
            };
            let ci = self.feeders[fi]
                .columns
                .iter()
                .position(|x| x == c)
                .ok_or_else(|| {
                    format!(
                        "feeder '{f}' has no column '{c}' (it has {})",
                        self.feeders[fi].columns.join(", ")
                    )
                })?;
            return Ok(Some((fi, ci)));
        }
        let hits: Vec<(usize, usize)> = self
            .feeders
            .iter()
            .enumerate()
            .filter_map(|(fi, f)| f.columns.iter().position(|c| c == name).map(|ci| (fi, ci)))
            .collect();
        match hits.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(format!(
                "${{{name}}} is a column of several feeders: write ${{FEEDER.{name}}}"
            )),
        }
    }
}

impl Pattern {
    pub fn parse(text: &str, names: &Names) -> Result<Pattern, String> {
        let mut parts = Vec::new();
        let mut lit = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            lit.extend_from_slice(&rest.as_bytes()[..start]);
            let after = &rest[start + 2..];
            let (inner, tail) = split_placeholder(after)?;
            match generator(inner, names)? {
                Some(g) => {
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Gen(g));
                }
                None => match (names.env)(inner) {
                    Some(v) => lit.extend_from_slice(v.as_bytes()),
                    None => {
                        return Err(format!(
                            "unknown placeholder ${{{inner}}}: not seq, uuid, rand_int(A,B), rand_regex('...'), a feeder's column, nor a set environment variable"
                        ))
                    }
                },
            }
            rest = tail;
        }
        lit.extend_from_slice(rest.as_bytes());
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Pattern { parts })
    }

    /// A text taken as it is.
    pub fn literal(text: &str) -> Pattern {
        Pattern {
            parts: vec![Part::Lit(text.as_bytes().to_vec())],
        }
    }

    /// Whether any part changes per send.
    pub fn varies(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Gen(_)))
    }

    /// The text with every placeholder as `sample` (for checking a path's shape).
    pub fn sample(&self, sample: &str) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Lit(b) => String::from_utf8_lossy(b).into_owned(),
                Part::Gen(_) => sample.to_string(),
            })
            .collect()
    }

    /// The feeders it reads.
    pub fn feeders(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Gen(Gen::Column { feeder, .. }) => Some(*feeder),
            _ => None,
        })
    }

    fn write(&self, out: &mut Vec<u8>, draw: &mut Draw, at: Where) {
        for part in &self.parts {
            match part {
                Part::Lit(b) => out.extend_from_slice(b),
                Part::Gen(g) => draw.value(g, out, at),
            }
        }
    }
}

/// `rand_regex('a}b')` may hold a brace: its quoted argument is skipped whole.
fn split_placeholder(after: &str) -> Result<(&str, &str), String> {
    let unterminated = || format!("unterminated ${{ in '${{{after}'");
    let scan_from = match after.strip_prefix("rand_regex(") {
        Some(arg) => {
            let quote = arg
                .chars()
                .next()
                .filter(|c| *c == '\'' || *c == '"')
                .ok_or_else(|| {
                    "rand_regex takes a quoted pattern: ${rand_regex('[a-z]{8}')}".to_string()
                })?;
            let close = arg[1..].find(quote).ok_or_else(unterminated)?;
            "rand_regex(".len() + 1 + close + 1
        }
        None => 0,
    };
    let end = after[scan_from..].find('}').ok_or_else(unterminated)? + scan_from;
    Ok((&after[..end], &after[end + 1..]))
}

fn generator(inner: &str, names: &Names) -> Result<Option<Gen>, String> {
    let inner = inner.trim();
    if inner == "seq" {
        return Ok(Some(Gen::Seq));
    }
    if inner == "uuid" {
        return Ok(Some(Gen::Uuid));
    }
    if let Some(args) = inner
        .strip_prefix("rand_int(")
        .and_then(|a| a.strip_suffix(')'))
    {
        let bad = || {
            format!("${{{inner}}}: rand_int takes two whole numbers, low ≤ high: rand_int(1,1000)")
        };
        let (lo, hi) = args.split_once(',').ok_or_else(bad)?;
        let (lo, hi): (i64, i64) = (
            lo.trim().parse().map_err(|_| bad())?,
            hi.trim().parse().map_err(|_| bad())?,
        );
        if lo > hi {
            return Err(bad());
        }
        return Ok(Some(Gen::RandInt(lo, hi)));
    }
    if let Some(args) = inner
        .strip_prefix("rand_regex(")
        .and_then(|a| a.strip_suffix(')'))
    {
        let pattern = args.trim().trim_matches(|c| c == '\'' || c == '"');
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .build()
            .parse(pattern)
            .map_err(|e| format!("rand_regex('{pattern}'): {e}"))?;
        let re = rand_regex::Regex::with_hir(hir, 16)
            .map_err(|e| format!("rand_regex('{pattern}'): {e}"))?;
        return Ok(Some(Gen::RandRegex(Box::new(re))));
    }
    Ok(names
        .column(inner)?
        .map(|(feeder, column)| Gen::Column { feeder, column }))
}

/// One request's values: its place in the plan, its generator, its rows.
struct Draw<'a> {
    fill: &'a Filler,
    index: u64,
    rng: rand::rngs::SmallRng,
}

/// SplitMix64's finaliser: spreads (seed, index) over the generator's seeds.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Draw<'_> {
    fn value(&mut self, g: &Gen, out: &mut Vec<u8>, at: Where) {
        match g {
            Gen::Seq => out.extend_from_slice(itoa::Buffer::new().format(self.index).as_bytes()),
            Gen::Uuid => {
                let mut bytes = [0u8; 16];
                self.rng.fill_bytes(&mut bytes);
                let mut text = [0u8; 36];
                let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
                out.extend_from_slice(uuid.hyphenated().encode_lower(&mut text).as_bytes());
            }
            Gen::RandInt(lo, hi) => {
                let v = self.rng.random_range(*lo..=*hi);
                out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
            }
            Gen::RandRegex(re) => {
                let s: String = re.sample(&mut self.rng);
                push_value(out, &s, at);
            }
            Gen::Column { feeder, column } => {
                let f = &self.fill.feeders[*feeder];
                let ordinal = self.fill.ordinal(*feeder, self.index);
                let draw = mix(self.fill.seed ^ mix(self.index) ^ (*feeder as u64));
                if let Some(row) = f.row(ordinal, draw) {
                    push_value(out, &row[*column], at);
                }
            }
        }
    }
}

/// Where a value goes, which decides how it is written.
#[derive(Clone, Copy)]
pub enum Where {
    Path,
    Header,
    Body,
}

/// A value in a path is percent-encoded where the request-target could not carry it
/// (spaces, quotes, braces, controls); in a header, a line break or NUL becomes a space
/// (a value could otherwise end the header); in a body it goes as it is.
fn push_value(out: &mut Vec<u8>, v: &str, at: Where) {
    match at {
        Where::Path => {
            let _ = write!(
                out,
                "{}",
                percent_encoding::utf8_percent_encode(v, NOT_IN_PATH)
            );
        }
        Where::Header => out.extend(v.bytes().map(|b| {
            if matches!(b, b'\r' | b'\n' | 0) {
                b' '
            } else {
                b
            }
        })),
        Where::Body => out.extend_from_slice(v.as_bytes()),
    }
}

/// A request with placeholders in its path or body.
#[derive(Debug)]
pub struct Dynamic {
    pub method: Method,
    /// `scheme://authority` for HTTP/2's absolute URI.
    pub origin: String,
    pub http2: bool,
    pub path: Pattern,
    pub body: Pattern,
    /// The template's headers (Host, User-Agent, Content-Type, the user's) that do not
    /// change per send.
    pub headers: HeaderMap,
    /// Headers whose values have placeholders.
    pub varying: Vec<(http::HeaderName, Pattern)>,
}

/// Fills a workload's requests per send (the engine's [`crate::load::Fill`]).
#[derive(Debug)]
pub struct Filler {
    requests: Vec<Option<Dynamic>>,
    feeders: Vec<Feeder>,
    seed: u64,
    cycle_len: u64,
    /// Per feeder: for each position of the mix's cycle, how many positions before it
    /// read the feeder, and how many in a whole cycle.
    uses: Vec<(Vec<u64>, u64)>,
}

impl Filler {
    pub fn new(
        requests: Vec<Option<Dynamic>>,
        feeders: Vec<Feeder>,
        seed: u64,
        cycle: &[u16],
    ) -> Filler {
        let uses = (0..feeders.len())
            .map(|f| {
                let reads = |which: u16| {
                    requests[usize::from(which)]
                        .as_ref()
                        .is_some_and(|d| d.path.feeders().chain(d.body.feeders()).any(|x| x == f))
                };
                let mut before = Vec::with_capacity(cycle.len());
                let mut n = 0;
                for &w in cycle {
                    before.push(n);
                    n += u64::from(reads(w));
                }
                (before, n)
            })
            .collect();
        Filler {
            requests,
            feeders,
            seed,
            cycle_len: cycle.len() as u64,
            uses,
        }
    }

    /// How many requests before ticket `index` read feeder `f`.
    fn ordinal(&self, f: usize, index: u64) -> u64 {
        let (before, per_cycle) = &self.uses[f];
        (index / self.cycle_len) * per_cycle + before[(index % self.cycle_len) as usize]
    }

    /// The first ticket a `queue` or `shuffle` feeder has no row for: the plan ends
    /// there. (feeder's name, its rows, the ticket.)
    pub fn spent_at(&self) -> Option<(String, usize, u64)> {
        self.feeders
            .iter()
            .enumerate()
            .filter(|(_, f)| f.mode.ends())
            .filter_map(|(i, f)| {
                let (before, per_cycle) = &self.uses[i];
                if *per_cycle == 0 {
                    return None;
                }
                let rows = f.rows.len() as u64;
                let (cycles, r) = (rows / per_cycle, rows % per_cycle);
                // The position in its cycle of the r-th read (0-based).
                let pos = before.iter().enumerate().position(|(p, &b)| {
                    b == r && before.get(p + 1).map_or(*per_cycle, |&n| n) > b
                })?;
                Some((
                    f.name.clone(),
                    f.rows.len(),
                    cycles * self.cycle_len + pos as u64,
                ))
            })
            .min_by_key(|(.., at)| *at)
    }

    fn draw(&self, index: u64) -> Draw<'_> {
        Draw {
            fill: self,
            index,
            rng: rand::rngs::SmallRng::seed_from_u64(mix(self.seed ^ mix(index))),
        }
    }

    /// Path, body and varying header values, drawn in that order (as `http1` does).
    fn parts(&self, d: &Dynamic, index: u64) -> (Vec<u8>, Vec<u8>, Vec<Vec<u8>>) {
        let mut draw = self.draw(index);
        let (mut path, mut body) = (Vec::new(), Vec::new());
        d.path.write(&mut path, &mut draw, Where::Path);
        d.body.write(&mut body, &mut draw, Where::Body);
        let headers = d
            .varying
            .iter()
            .map(|(_, p)| {
                let mut v = Vec::new();
                p.write(&mut v, &mut draw, Where::Header);
                v
            })
            .collect();
        (path, body, headers)
    }
}

impl crate::load::Fill for Filler {
    fn varies(&self, which: usize) -> bool {
        self.requests.get(which).is_some_and(Option::is_some)
    }

    fn http1(&self, which: usize, index: u64, out: &mut Vec<u8>) {
        out.clear();
        let Some(d) = &self.requests[which] else {
            return;
        };
        let mut draw = self.draw(index);
        // The path's values are drawn first, as `request` draws them; the body is
        // written first to know its length, then the head after it, and the two turned
        // round (no second buffer).
        let mut path = std::mem::take(out);
        d.path.write(&mut path, &mut draw, Where::Path);
        let path_len = path.len();
        d.body.write(&mut path, &mut draw, Where::Body);
        let body_len = path.len() - path_len;
        let mut buf = path;
        buf.extend_from_slice(d.method.as_str().as_bytes());
        buf.push(b' ');
        buf.extend_from_within(..path_len);
        buf.extend_from_slice(b" HTTP/1.1\r\n");
        crate::http::encode_headers(&d.headers, &mut buf);
        for (name, value) in &d.varying {
            buf.extend_from_slice(name.as_str().as_bytes());
            buf.extend_from_slice(b": ");
            value.write(&mut buf, &mut draw, Where::Header);
            buf.extend_from_slice(b"\r\n");
        }
        if body_len > 0 || crate::http::body_expects_length(&d.method) {
            let _ = write!(buf, "content-length: {body_len}\r\n");
        }
        buf.extend_from_slice(b"\r\n");
        // [path][body][head] → [head][body]: drop the path, then rotate.
        buf.drain(..path_len);
        buf.rotate_left(body_len);
        *out = buf;
    }

    fn request(&self, which: usize, index: u64) -> Request<ReqBody> {
        let d = self.requests[which]
            .as_ref()
            .expect("only varying requests are filled");
        let (path, body, values) = self.parts(d, index);
        let path = String::from_utf8_lossy(&path);
        let uri = if d.http2 {
            format!("{}{path}", d.origin)
        } else {
            path.into_owned()
        };
        let mut req = Request::new(Full::new(Bytes::from(body)));
        *req.method_mut() = d.method.clone();
        // A filled path is percent-encoded where it must be: it parses.
        *req.uri_mut() = uri.parse().unwrap_or_else(|_| http::Uri::from_static("/"));
        *req.headers_mut() = d.headers.clone();
        for ((name, _), value) in d.varying.iter().zip(values) {
            if let Ok(v) = http::HeaderValue::from_bytes(&value) {
                req.headers_mut().append(name.clone(), v);
            }
        }
        req
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Fill;

    fn names<'a>(feeders: &'a [Feeder], env: &'a dyn Fn(&str) -> Option<String>) -> Names<'a> {
        Names { feeders, env }
    }

    #[test]
    fn placeholders_parse_or_say_which_is_unknown() {
        let env = |n: &str| (n == "TENANT").then(|| "acme".to_string());
        let n = names(&[], &env);
        let p = Pattern::parse("/t/${TENANT}/${seq}?q=${rand_regex('[a-z]{3}')}", &n).unwrap();
        assert!(p.varies());
        assert_eq!(p.sample("X"), "/t/acme/X?q=X");
        assert!(!Pattern::parse("/t/${TENANT}", &n).unwrap().varies());
        let e = Pattern::parse("/${nope}", &n).unwrap_err();
        assert!(e.contains("unknown placeholder ${nope}"), "{e}");
        assert!(Pattern::parse("/${rand_int(5,1)}", &n).is_err());
        assert!(Pattern::parse("/${seq", &n)
            .unwrap_err()
            .contains("unterminated"));
    }

    #[test]
    fn a_filled_request_states_its_body_length_and_percent_encodes_path_values() {
        let env = |_: &str| None;
        let feeder = Feeder {
            name: "f".into(),
            mode: super::super::feeder::Mode::Circular,
            columns: vec!["word".into()],
            rows: vec![vec!["a b".into()], vec!["çé".into()]],
            order: vec![0, 1],
        };
        let feeders = [feeder];
        let n = names(&feeders, &env);
        let mut headers = HeaderMap::new();
        headers.insert(http::header::HOST, "h".parse().unwrap());
        let d = Dynamic {
            method: Method::POST,
            origin: "http://h".into(),
            http2: false,
            path: Pattern::parse("/w/${word}", &n).unwrap(),
            body: Pattern::parse("{\"w\": \"${word}\", \"n\": ${seq}}", &n).unwrap(),
            headers,
            varying: vec![(
                http::HeaderName::from_static("x-word"),
                Pattern::parse("${word}!", &n).unwrap(),
            )],
        };
        let filler = Filler::new(vec![Some(d)], feeders.to_vec(), 1, &[0]);
        let mut out = Vec::new();
        filler.http1(0, 0, &mut out);
        let text = String::from_utf8(out.clone()).unwrap();
        assert_eq!(
            text,
            "POST /w/a%20b HTTP/1.1\r\nhost: h\r\nx-word: a b!\r\ncontent-length: 20\r\n\r\n{\"w\": \"a b\", \"n\": 0}"
        );
        filler.http1(0, 1, &mut out);
        assert!(String::from_utf8(out)
            .unwrap()
            .starts_with("POST /w/%C3%A7%C3%A9 "));
        let req = filler.request(0, 0);
        assert_eq!(req.uri(), "/w/a%20b");
        assert_eq!(req.headers()["x-word"], "a b!");
    }
}
