//! Rendering results: result types in, text out. Nothing here writes: `output`
//! decides where the bytes go.

pub mod gates;
pub mod paint;
pub mod ramp;
pub mod text;
