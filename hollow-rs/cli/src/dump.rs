//! `hollow dump STORE [--from U] [--version V] [--type T] [--format hollow|plain] [--depth N]`.

use std::sync::Arc;

use hollow::consumer::Consumer;
use hollow::store::BlobStore;
use hollow::tools::dump;

/// How `dump` prints a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The layout of the Java reference dumps (types, ordinals, Java's float text, references as
    /// ordinals): what the conformance tests compare.
    Hollow,
    /// One plain JSON value per record, references expanded (see plain.rs): for jq, and for
    /// `produce --input`.
    Plain,
}

/// What to print, and how.
pub struct Args<'a> {
    pub from: Option<i64>,
    pub version: Option<i64>,
    pub type_name: Option<&'a str>,
    pub format: Format,
    pub depth: u8,
}

pub fn run(store: Arc<dyn BlobStore>, args: &Args<'_>) -> hollow::Result<()> {
    let Args { from, version, type_name, format, depth } = *args;
    let target = crate::target_version(&*store, version)?;
    let progress = std::sync::Arc::new(crate::progress::RefreshProgress::new());
    let consumer = Consumer::builder(store).with_refresh_listener(progress.clone()).build();
    if let Some(from) = from {
        consumer.refresh_to(from)?;
    }
    consumer.refresh_to(target)?;
    progress.finish();
    let state = consumer.read_state().expect("a successful refresh leaves a state");
    if let Some(t) = type_name {
        if state.engine().type_state(t).is_none() {
            return Err(hollow::Error::NotFound(format!("type {t} at version {target}")));
        }
    }
    let include = |name: &str| type_name.is_none_or(|t| t == name);
    match format {
        Format::Hollow => print!("{}", dump::dump_state_filtered(state.engine(), target, include)),
        Format::Plain => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written = crate::plain::PlainWriter::new(state.engine(), depth)
                .write_types(&mut out, include, type_name.is_some())
                .and_then(|()| {
                    std::io::Write::flush(&mut out).map_err(|e| hollow::Error::io("writing standard output", e))
                });
            // `hollow dump ... | head` closing the pipe early is not a failure of the dump.
            if let Err(e) = written {
                if !is_broken_pipe(&e) {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

fn is_broken_pipe(e: &hollow::Error) -> bool {
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
