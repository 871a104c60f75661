//! The archive reader: every input is read as a tar, gzip and zip archive
//! (and as whatever its first bytes say it is), with small bomb limits; the
//! reader recognises every entry it yields, as the loader does for files.
#![no_main]

mod common;

use std::sync::Arc;

use eksguard::load::Outcome;
use eksguard::load::archive::{self, ArchiveLimits, Kind};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path: Arc<str> = Arc::from("fuzz/archive");
    let limits = ArchiveLimits { max_entries: 64, max_entry_size: 1 << 20, max_total_size: 4 << 20 };
    let detected = archive::detect(data);
    for kind in [Kind::Tar, Kind::Gzip, Kind::Zip].into_iter().chain(detected) {
        for unit in archive::load(&path, data, kind, true, &limits) {
            if let Outcome::Documents(docs) = unit.outcome {
                common::documents(&docs);
            }
        }
    }
});
