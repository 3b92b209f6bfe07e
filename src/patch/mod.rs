//! The Stage 4 integration patch: pure edits of a project's `release_gate/run_all.py`
//! (`runall`) and `public/test2.html` (`html`), and the project-level plan that backs
//! them up, marks them, writes them atomically and rolls them back exactly (`project`).

pub mod html;
pub mod project;
pub mod runall;

pub use project::{MARKER, RUN_ALL, TEST2};
