//! `hollow dump STORE [--from U] [--version V] [--type T]`.

use std::sync::Arc;

use hollow::consumer::Consumer;
use hollow::store::BlobStore;
use hollow::tools::dump;

pub fn run(
    store: Arc<dyn BlobStore>,
    from: Option<i64>,
    version: Option<i64>,
    type_name: Option<&str>,
) -> hollow::Result<()> {
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
    let text = dump::dump_state_filtered(state.engine(), target, |name| type_name.is_none_or(|t| t == name));
    print!("{text}");
    Ok(())
}
