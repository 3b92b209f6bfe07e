//! The client side of HTTP: where to send (`Target`), what to send (`RequestTemplate`),
//! how to connect (`Connector`: TCP or TLS; golive's own HTTP/1.1 exchange and the h2
//! crate's HTTP/2 client for load, hyper for the checks and as the load path's fallback) and one request-response exchange turned into an
//! outcome whose failures are classified, never thrown.

mod connect;
mod exchange;
mod h1;
mod h2;
mod io;
mod response;
mod setup;
pub mod target;
mod template;
mod tls;

pub use connect::{ClientOptions, Conn, Connector, H1Client, H2Client, SharedH2};
pub use exchange::{exchange, fetch, Fetched};
pub use h1::{H1Conn, Sent};
pub use h2::LeanH2;
pub use response::{classify, Exchange};
pub use setup::SetupError;
pub use target::{Scheme, Target, TargetError};
pub use template::{
    body_expects_length, encode_headers, expand_env, head_of, parse_header, ReqBody,
    RequestTemplate, TemplateError,
};
