//! A fault-injecting HTTP/1.1 proxy for tests: it sits on a loopback port between a store client and
//! the S3-compatible server, forwards each request, and fails some of them on purpose: resets the
//! connection, answers 500 or 503, answers slowly, or cuts the response body short while keeping its
//! `Content-Length`.
//!
//! Each request is forwarded on a new upstream connection with `Connection: close`, and its response
//! is read whole before anything is sent back, so a fault can be applied to the response as a unit.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What to do to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Close the client's connection without an answer.
    Reset,
    /// Answer `500 Internal Server Error`.
    ServerError,
    /// Answer `503 Slow Down`.
    Unavailable,
    /// Forward, but wait this long before answering.
    Slow(Duration),
    /// Forward, but send only half of the response body (the header still promises all of it).
    Truncate,
}

/// Which requests fail.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Forward everything.
    Off,
    /// Every request gets this fault.
    Always(Fault),
    /// Each request independently gets one of `faults` with probability `rate` (seeded, repeatable).
    Random { rate: f64, faults: Vec<Fault>, seed: u64 },
    /// Only requests whose method and path contain these strings (e.g. `("PUT", "announced.version")`).
    Matching { method: &'static str, path_contains: &'static str, fault: Fault },
}

/// Counts of what the proxy did.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub faults: AtomicU64,
}

/// A running proxy; stopped on drop.
pub struct FaultProxy {
    addr: SocketAddr,
    plan: Arc<Mutex<(Plan, u64)>>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Start a proxy to `upstream` (`host:port`) on a free loopback port.
    pub fn start(upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let plan = Arc::new(Mutex::new((Plan::Off, 0)));
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let upstream = upstream.to_owned();
        {
            let (plan, counters, stop) = (plan.clone(), counters.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            let (plan, counters, upstream) = (plan.clone(), counters.clone(), upstream.clone());
                            std::thread::spawn(move || serve(client, &upstream, &plan, &counters));
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(2))
                        }
                        Err(_) => return,
                    }
                }
            });
        }
        FaultProxy { addr, plan, counters, stop }
    }

    /// `http://127.0.0.1:<port>`, to use as the store's endpoint.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Change which requests fail from now on.
    pub fn set(&self, plan: Plan) {
        *self.plan.lock().unwrap() = (plan, 0);
    }

    /// Requests seen and faults injected so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.counters.requests.load(Ordering::SeqCst), self.counters.faults.load(Ordering::SeqCst))
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// One request read from the client: its head (request line and headers) and body.
struct Request {
    method: String,
    path: String,
    head: Vec<String>,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let request_line = line.trim_end().to_owned();
    let mut parts = request_line.split(' ');
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut head = vec![request_line];
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
            if name.eq_ignore_ascii_case("connection") {
                continue;
            }
        }
        head.push(header.to_owned());
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request { method, path, head, body })
}

fn next_fault(plan: &Mutex<(Plan, u64)>, request: &Request) -> Option<Fault> {
    let mut guard = plan.lock().unwrap();
    let (plan, n) = &mut *guard;
    *n += 1;
    match plan {
        Plan::Off => None,
        Plan::Always(f) => Some(*f),
        Plan::Random { rate, faults, seed } => {
            // splitmix64 of (seed, request number): repeatable for a given sequence of requests.
            let mut z = seed.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let roll = (z >> 11) as f64 / (1u64 << 53) as f64;
            (roll < *rate && !faults.is_empty()).then(|| faults[(z % faults.len() as u64) as usize])
        }
        Plan::Matching { method, path_contains, fault } => {
            (request.method == *method && request.path.contains(*path_contains)).then_some(*fault)
        }
    }
}

/// Serve one request of a client connection: every answer closes the connection (the upstream answer
/// says `Connection: close`, since we asked for it), so the client reconnects for the next.
fn serve(client: TcpStream, upstream: &str, plan: &Mutex<(Plan, u64)>, counters: &Counters) {
    let mut writer = client.try_clone().unwrap();
    let mut reader = BufReader::new(client);
    let Some(request) = read_request(&mut reader) else { return };
    counters.requests.fetch_add(1, Ordering::SeqCst);
    let fault = next_fault(plan, &request);
    if fault.is_some() {
        counters.faults.fetch_add(1, Ordering::SeqCst);
    }
    let status = |code: &str| format!("HTTP/1.1 {code}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    match fault {
        Some(Fault::Reset) => {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
        Some(Fault::ServerError) => {
            let _ = writer.write_all(status("500 Internal Server Error").as_bytes());
            return;
        }
        Some(Fault::Unavailable) => {
            let _ = writer.write_all(status("503 Slow Down").as_bytes());
            return;
        }
        Some(Fault::Slow(d)) => std::thread::sleep(d),
        _ => {}
    }
    if let Some(mut response) = forward(upstream, &request) {
        if fault == Some(Fault::Truncate) {
            if let Some(body_start) = find(&response, b"\r\n\r\n").map(|i| i + 4) {
                let body = response.len() - body_start;
                response.truncate(body_start + body / 2);
            }
        }
        let _ = writer.write_all(&response);
    }
    let _ = writer.shutdown(Shutdown::Both);
}

/// Send `request` upstream on a fresh connection and read the whole response.
fn forward(upstream: &str, request: &Request) -> Option<Vec<u8>> {
    let mut conn = TcpStream::connect(upstream).ok()?;
    let mut out = request.head.join("\r\n");
    out.push_str("\r\nConnection: close\r\n\r\n");
    conn.write_all(out.as_bytes()).ok()?;
    conn.write_all(&request.body).ok()?;
    let mut response = Vec::new();
    conn.read_to_end(&mut response).ok()?;
    Some(response)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
