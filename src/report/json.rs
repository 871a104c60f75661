//! The JSON report: the stable contract documented in the README.

use std::io::{self, Write};

use super::{RenderOptions, Report};

pub fn render(report: &Report, _options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
