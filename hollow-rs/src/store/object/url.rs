//! [`open`]: a blob store from a URL, and the [`StoreOptions`] that tune it.
//!
//! Compiled with or without the `object-store` feature, so that a plain path or a `file://` URL always
//! opens Java's directory layout ([`FilesystemBlobStore`]); `memory://`, `s3://`, `gs://`, `az://` (and the
//! other `object_store` URL forms) need the feature, and without it are refused with
//! [`Error::InvalidArgument`] rather than misread as paths.
//!
//! Settings come, lowest priority first, from the environment (the `object_store` builders' `from_env`:
//! `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_REGION`, `GOOGLE_*`, `AZURE_*`...), the URL's query string
//! (`s3://bucket/prefix?layout=filesystem&aws_region=eu-west-1`), then [`StoreOptions`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::filesystem::FilesystemBlobStore;
use super::BlobStore;
use crate::error::{Error, Result};

/// How blobs are named in an object store (see `store::object::layout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Netflix's hollow-reference-implementation S3 layout: `snapshot/<hex>-<v>`, `delta/<hex>-<from>`...
    #[default]
    Reference,
    /// Java's filesystem names under the prefix: `snapshot-<v>`, `delta-<from>-<to>`...
    Filesystem,
}

/// Retries of failed requests, with exponential backoff (`object_store`'s `RetryConfig`).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryOptions {
    /// Retries of one request before its error is returned (0: none).
    pub max_retries: usize,
    /// No retry starts this long after the first attempt.
    pub retry_timeout: Duration,
    /// The first backoff.
    pub init_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
}

impl Default for RetryOptions {
    fn default() -> Self {
        RetryOptions {
            max_retries: 10,
            retry_timeout: Duration::from_secs(180),
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(15),
        }
    }
}

/// Settings of a store opened by [`open`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `object_store` configuration keys and values (`aws_endpoint_url`, `aws_region`, `google_bucket`...),
    /// overriding the environment.
    pub config: Vec<(String, String)>,
    /// How often a watcher looks at the announcement (1 s).
    pub poll_interval: Duration,
    /// Each poll interval is varied at random by up to this fraction either way (0.2), so that a fleet of
    /// consumers started together does not poll in lockstep.
    pub poll_jitter: f64,
    /// A directory where retrieved blobs are kept, so that a restarted consumer does not download them
    /// again (object stores only).
    pub cache_dir: Option<PathBuf>,
    /// Object names (object stores only).
    pub layout: Layout,
    /// How long a producer lease lasts unless renewed (60 s; object stores only).
    pub lease_ttl: Duration,
    /// Retries of failed requests (object stores only).
    pub retry: RetryOptions,
    /// For directories: create a missing one (true, for producers) or refuse it (false, the default: a
    /// consumer given a mistyped path must not silently follow an empty new directory).
    pub create: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            config: Vec::new(),
            poll_interval: Duration::from_secs(1),
            poll_jitter: 0.2,
            cache_dir: None,
            layout: Layout::Reference,
            lease_ttl: Duration::from_secs(60),
            retry: RetryOptions::default(),
            create: false,
        }
    }
}

impl StoreOptions {
    /// Set an option by name, as a URL query or a command line gives it: `layout` (`reference` or
    /// `filesystem`), `poll_interval_ms`, `poll_jitter`, `cache_dir`, `lease_ttl_ms`, `max_retries`,
    /// `retry_timeout_ms`, `create`; any other key is passed to the `object_store` builder.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a value that does not parse (a layout
    /// other than `reference` or `filesystem`, a number that is not one).
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        fn num<T: std::str::FromStr>(key: &str, value: &str) -> Result<T> {
            value.parse().map_err(|_| Error::InvalidArgument(format!("store option {key}={value:?} is not a number")))
        }
        match key {
            "layout" => {
                self.layout = match value {
                    "reference" => Layout::Reference,
                    "filesystem" => Layout::Filesystem,
                    _ => {
                        return Err(Error::InvalidArgument(format!(
                            "store option layout={value:?}: expected reference or filesystem"
                        )))
                    }
                }
            }
            "poll_interval_ms" => self.poll_interval = Duration::from_millis(num(key, value)?),
            "poll_jitter" => {
                let j: f64 = num(key, value)?;
                if !(0.0..1.0).contains(&j) {
                    return Err(Error::InvalidArgument(format!("store option poll_jitter={j}: expected 0 <= j < 1")));
                }
                self.poll_jitter = j;
            }
            "cache_dir" => self.cache_dir = Some(PathBuf::from(value)),
            "lease_ttl_ms" => self.lease_ttl = Duration::from_millis(num(key, value)?),
            "max_retries" => self.retry.max_retries = num(key, value)?,
            "retry_timeout_ms" => self.retry.retry_timeout = Duration::from_millis(num(key, value)?),
            "create" => self.create = num(key, value)?,
            _ => self.config.push((key.to_owned(), value.to_owned())),
        }
        Ok(())
    }
}

/// Split `url?k=v&k2=v2` into the URL and its query options (no percent-decoding: keys and values of
/// store options are plain words, numbers and paths).
fn split_query(url: &str) -> Result<(&str, Vec<(&str, &str)>)> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url, Vec::new())) };
    let mut pairs = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| Error::InvalidArgument(format!("store URL option {pair:?} is not key=value")))?;
        pairs.push((k, v));
    }
    Ok((base, pairs))
}

/// Open the blob store at `url`: a directory path or `file://` URL (Java's filesystem layout), or, with
/// the `object-store` feature, `memory://`, `s3://bucket/prefix`, `gs://bucket/prefix`,
/// `az://container/prefix` and the other forms `object_store` parses. Query options in the URL override the
/// environment, and `options` override both.
///
/// # Errors
///
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a URL or option that does not parse, or a
/// scheme this build does not support (object stores need the `object-store` feature);
/// [`Error::NotFound`](crate::Error::NotFound) for a directory that does not exist when `options.create` is
/// off; [`Error::Io`](crate::Error::Io) from the filesystem.
pub fn open(url: &str, options: &StoreOptions) -> Result<Arc<dyn BlobStore>> {
    let (base, query) = split_query(url)?;
    let mut merged = StoreOptions { config: Vec::new(), ..options.clone() };
    for (k, v) in query {
        merged.set(k, v)?;
    }
    // Explicit options come after the query's, so they win where both set the same key.
    merged.config.extend(options.config.iter().cloned());

    let path = match base.split_once("://") {
        None => Some(base),
        Some(("file", rest)) => Some(rest),
        Some(_) => None,
    };
    if let Some(path) = path {
        if path.is_empty() {
            return Err(Error::InvalidArgument(format!("store URL {url:?} names no directory")));
        }
        let store = if merged.create { FilesystemBlobStore::create(path)? } else { FilesystemBlobStore::open(path)? };
        return Ok(Arc::new(store.with_poll_interval(merged.poll_interval)));
    }
    open_object_store(base, &merged)
}

#[cfg(feature = "object-store")]
fn open_object_store(url: &str, options: &StoreOptions) -> Result<Arc<dyn BlobStore>> {
    Ok(Arc::new(super::object::ObjectStoreBlobStore::open(url, options)?))
}

#[cfg(not(feature = "object-store"))]
fn open_object_store(url: &str, _options: &StoreOptions) -> Result<Arc<dyn BlobStore>> {
    Err(Error::InvalidArgument(format!(
        "store URL {url:?}: object stores (memory://, s3://, gs://, az://) need hollow built with the \
         object-store feature; this one was built without the object-store feature"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_options_are_parsed() {
        let (base, q) = split_query("s3://b/p?layout=filesystem&aws_region=eu-west-1").unwrap();
        assert_eq!(base, "s3://b/p");
        let mut o = StoreOptions::default();
        for (k, v) in q {
            o.set(k, v).unwrap();
        }
        assert_eq!(o.layout, Layout::Filesystem);
        assert_eq!(o.config, vec![("aws_region".to_owned(), "eu-west-1".to_owned())]);
        assert!(o.set("layout", "s3").is_err());
        assert!(split_query("x?novalue").is_err());
    }

    #[test]
    fn plain_paths_open_directories() {
        let dir = std::env::temp_dir().join(format!("hollow-open-{}", std::process::id()));
        let create = StoreOptions { create: true, ..StoreOptions::default() };
        let store = open(&format!("file://{}", dir.display()), &create).unwrap();
        assert_eq!(store.latest_version().unwrap(), None);
        let missing = dir.join("missing");
        let refuse = StoreOptions { create: false, ..StoreOptions::default() };
        assert!(open(missing.to_str().unwrap(), &refuse).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(not(feature = "object-store"))]
    #[test]
    fn object_urls_need_the_feature() {
        let e = open("memory://", &StoreOptions::default()).err().unwrap();
        assert!(e.to_string().contains("built without the object-store feature"), "{e}");
    }
}
