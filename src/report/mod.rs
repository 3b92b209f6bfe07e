//! Rendering results: result types in, text out. Nothing here writes: `output`
//! decides where the bytes go.

pub mod charts;
pub mod compare;
pub mod gates;
pub mod hdrlog;
pub mod html;
pub mod judged;
pub mod junit;
pub mod lttb;
pub mod markdown;
pub mod notable;
pub mod paint;
pub mod ramp;
pub mod stress_view;
pub mod suite;
pub mod text;
pub mod words;

pub use judged::Judged;
