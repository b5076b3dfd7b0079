//! `hollow serve STORE [--listen 127.0.0.1:7878]`: the explorer, diff and history pages, and the JSON
//! API behind them, over a consumer that follows the store.
//!
//! * `dataset`: the followed consumer, and read states of other versions built on request.
//! * `params`: every request parameter, parsed and checked (a 4xx with a message otherwise).
//! * `records`, `explore`, `changes`: the data of the pages (previews and record trees; types, records
//!   and lookups; diffs and histories), shared by [`api`] and [`pages`].
//! * `templates`: the HTML (maud: every interpolated value is escaped); `assets`: CSS and the one
//!   script, compiled in.
//!
//! Invariants that make it safe to show to colleagues: no handler writes to the store or changes what
//! the followed consumer holds; every page and list is bounded ([`params::MAX_LIMIT`] rows,
//! [`records::PREVIEW_CHARS`] per preview); every request has [`REQUEST_TIMEOUT`]; the engine's work
//! runs on blocking threads, so a slow request never stalls the others; a panic in one request is a
//! 500 for that request only. It listens on loopback unless told otherwise, and says so loudly then.

mod api;
mod assets;
mod changes;
mod dataset;
mod error;
mod explore;
mod pages;
mod params;
mod records;
mod templates;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hollow::store::BlobStore;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::timeout::TimeoutLayer;

use dataset::Dataset;
use error::{ApiError, ApiResult};

/// How long a request may take before it is answered with 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Serve {
    pub listen: SocketAddr,
    /// How the followed consumer and the side consumers load snapshots.
    pub mapping: hollow::mapped::MappingMode,
}

/// What every handler shares.
pub struct App {
    dataset: Dataset,
    metrics: Option<PrometheusHandle>,
}

/// Run `f` on a blocking thread: the engine's work (building a state, diffing) must not hold up the
/// async threads. A panic is a 500 for this request.
async fn blocking<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&Dataset) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&app.dataset)).await.unwrap_or_else(|e| {
        tracing::error!(target: "hollow::serve", error = %e, "a request handler failed");
        Err(ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, message: format!("the request failed: {e}") })
    })
}

pub fn run(name: &str, store: Arc<dyn BlobStore>, serve: &Serve) -> hollow::Result<()> {
    let metrics = match crate::watch::install_prometheus() {
        Ok(handle) => Some(handle),
        Err(e) => {
            tracing::warn!(target: "hollow::serve", error = %e, "serving without /metrics");
            None
        }
    };
    let dataset = Dataset::new(name, store, serve.mapping);
    if let Err(e) = dataset.consumer.refresh() {
        eprintln!("hollow: loading the announced version failed (serving anyway, retrying as announced): {e}");
    }
    let _following = dataset.consumer.subscribe()?;
    let app = Arc::new(App { dataset, metrics });

    let listener = std::net::TcpListener::bind(serve.listen)
        .map_err(|e| hollow::Error::io(format!("listening on {}", serve.listen), e))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        eprintln!("hollow: WARNING: serving {name} on {addr}, reachable from other machines.");
        eprintln!("hollow: WARNING: anyone who can reach it can read every record of the dataset.");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("hollow-serve")
        .build()
        .map_err(|e| hollow::Error::io("starting the server's runtime", e))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        println!("serving {name} at http://{addr}/");
        use std::io::Write;
        std::io::stdout().flush()?;
        axum::serve(listener, router(app)).await.map_err(|e| hollow::Error::io("serving", e))
    })
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .route("/healthz", get(healthz))
        .route("/metrics", get(prometheus))
        .route("/assets/style.css", get(assets::style))
        .route("/assets/app.js", get(assets::script))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .with_state(app)
}

/// Defence in depth behind the escaping: the browser runs no script and loads nothing but this
/// server's own files, so even a value that slipped through as markup could not act.
async fn security_headers(mut response: Response) -> Response {
    use axum::http::header::{HeaderValue, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// 200 with the served version once one is loaded, 503 before.
async fn healthz(State(app): State<Arc<App>>) -> Response {
    match app.dataset.consumer.current_version() {
        Some(v) => (StatusCode::OK, format!("ok: version {v}\n")).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "no version loaded yet\n").into_response(),
    }
}

async fn prometheus(State(app): State<Arc<App>>) -> Response {
    match &app.metrics {
        Some(handle) => {
            ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response()
        }
        None => (StatusCode::NOT_FOUND, "metrics are not available in this process\n").into_response(),
    }
}

async fn not_found(request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let e = ApiError::not_found(format!("nothing at {path}"));
    if path.starts_with("/api/") {
        api::error(e)
    } else {
        pages::error(e)
    }
}
