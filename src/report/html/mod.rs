//! `faultplan report`: one self-contained HTML page (inline CSS, SVG and a
//! little JavaScript; nothing fetched) drawn from an
//! [`Overview`](crate::report::overview::Overview). The drawing is static
//! SVG, so the page reads without JavaScript; the script only highlights the
//! replicas of the service picked (also from the URL fragment
//! `#service=NAME`). Same overview, same bytes.

mod format;
mod headline;
mod page;
mod rack_drawings;
mod tables;

pub use page::report_html;
