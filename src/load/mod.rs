//! Stage 2: load and recognise.
//!
//! Takes one discovered [`Input`]; gives [`Loaded`] units, each holding the
//! documents recognised in it (CloudFormation templates, `get-template`
//! wrappers, `describe-cluster` output, eksctl ClusterConfigs), or the one
//! reason it was skipped or could not be read. This stage and discovery are
//! the only ones that touch the disk. Documents are recognised by content,
//! never by extension; the extension only decides whether text that is not
//! JSON or YAML is an error (a `.json` file that does not parse) or simply
//! not ours (a `README.md`).
//!
//! JSON is validated in full by `serde_json` while borrowing from the input;
//! only the parts that facts need (EKS resources, parameters, outputs,
//! metadata) are re-read as positioned trees. YAML is read whole, since its
//! parser is the slow part either way.

pub mod archive;
mod decode;
mod document;
mod error;
pub mod json_tree;
pub mod node;
mod read;
mod recognise;
mod recognise_json;
mod recognise_yaml;
pub mod settings_files;
pub mod yaml_fast;
pub mod yaml_tree;

pub use document::{
    CDK_CLUSTER_TYPE, ClusterConfigDoc, ClusterContext, Document, Format, Loaded, Outcome, Resource, Semantics,
    SourceText, Template, Wrapper, is_relevant_type, stack_name_of,
};
pub use error::LoadError;
pub use read::{Input, LoadOptions, Role, Source, io_reason, quote_lines, reread};
pub use recognise::recognise;

use read::{Opened, ReadFailure, open_input};
use recognise::{has_data_extension, recognise_as};

/// Reads and recognises one input; an archive (recognised by its magic
/// bytes) gives one unit per entry.
pub fn load(input: &Input, options: &LoadOptions) -> Vec<Loaded> {
    match start(input, options) {
        Loading::Units(units) => units,
        Loading::Archive(archive) => archive.units(),
    }
}

/// What reading one input gives: its unit, or an archive whose entries are
/// read and recognised as they are taken ([`ArchiveInput::stream`]), so
/// that a sweep never holds all of an archive's documents at once.
#[derive(Debug)]
pub enum Loading {
    Units(Vec<Loaded>),
    Archive(ArchiveInput),
}

/// An archive whose entries are not read yet: the file, open (read from the
/// disk as its entries are taken), or standard input's bytes.
#[derive(Debug)]
pub struct ArchiveInput {
    path: std::sync::Arc<str>,
    data: ArchiveData,
    kind: archive::Kind,
    explicit: bool,
    limits: archive::ArchiveLimits,
}

#[derive(Debug)]
enum ArchiveData {
    File(std::fs::File),
    Bytes(Vec<u8>),
}

impl ArchiveInput {
    /// Every unit of the archive: one per entry, as [`archive::load`] gives
    /// them.
    pub fn units(self) -> Vec<Loaded> {
        let mut units = Vec::new();
        self.read(&mut units);
        units
    }

    /// The same units, each sent to `out` as its entry is read; stops
    /// early when `out`'s receiver is gone.
    pub fn stream(&self, out: &std::sync::mpsc::SyncSender<Loaded>) {
        self.read(&mut { out });
    }

    fn read(&self, out: &mut dyn archive::Out) {
        let (path, kind, explicit, limits) = (&self.path, self.kind, self.explicit, &self.limits);
        match &self.data {
            ArchiveData::Bytes(bytes) => archive::read(path, std::io::Cursor::new(bytes), kind, explicit, limits, out),
            ArchiveData::File(file) => {
                // A tar is read straight through; a zip is read by seeking
                // to each entry, which empties the buffer: a small one then.
                let buffer = if kind == archive::Kind::Zip { 1 << 13 } else { 1 << 16 };
                let mut file = std::io::BufReader::with_capacity(buffer, file);
                // The head was read to recognise the archive: from the start.
                match std::io::Seek::rewind(&mut file) {
                    Ok(()) => archive::read(path, file, kind, explicit, limits, out),
                    Err(e) => archive::unreadable_archive(path, &e, out),
                }
            }
        }
    }
}

/// Reads one input: recognised whole, or, for an archive, ready to be read
/// entry by entry.
pub fn start(input: &Input, options: &LoadOptions) -> Loading {
    let archive = |data, kind| {
        let (path, explicit, limits) = (input.path.clone(), input.explicit, options.archive);
        Loading::Archive(ArchiveInput { path, data, kind, explicit, limits })
    };
    let outcome = match open_input(input, options) {
        Ok(Opened::Archive(file, kind)) => return archive(ArchiveData::File(file), kind),
        Ok(Opened::Bytes(bytes)) => {
            if let Some(kind) = archive::detect(&bytes) {
                return archive(ArchiveData::Bytes(bytes), kind);
            }
            let expected = input.explicit || has_data_extension(&input.path);
            let mut outcome = recognise_as(&input.path, bytes, expected, matches!(input.source, Source::File(_)));
            if let (Some(stack), Outcome::Documents(docs)) = (&input.stack, &mut outcome) {
                for doc in docs {
                    if let Document::Template(t) = doc {
                        t.stack_name = stack.to_string();
                    }
                }
            }
            outcome
        }
        Err(ReadFailure::Skip(reason)) => Outcome::Skipped(reason),
        Err(ReadFailure::Error(message)) => Outcome::Error(LoadError::Read(message)),
    };
    Loading::Units(vec![Loaded { path: input.path.clone(), outcome }])
}
