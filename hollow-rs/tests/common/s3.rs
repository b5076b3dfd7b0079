//! The loopback S3 server the tests run beside (`.ci/with-s3.sh` starts moto and sets `HOLLOW_TEST_S3`,
//! `AWS_ENDPOINT_URL` and test credentials).

use std::io::{Read, Write};

/// The server's endpoint when the tests run beside one, else `None` (and a notice that `test` skips
/// its S3 part).
pub fn endpoint(test: &str) -> Option<String> {
    if std::env::var_os("HOLLOW_TEST_S3").is_none() {
        eprintln!("{test}: HOLLOW_TEST_S3 unset: the S3 part is skipped (run under .ci/with-s3.sh)");
        return None;
    }
    Some(std::env::var("AWS_ENDPOINT_URL").expect("HOLLOW_TEST_S3 needs AWS_ENDPOINT_URL"))
}

/// Create `bucket` with an unsigned `PUT /<bucket>` (moto accepts it), refusing any endpoint that is not
/// on the loopback interface.
pub fn create_bucket(endpoint: &str, bucket: &str) {
    let authority = endpoint.strip_prefix("http://").expect("http endpoint").trim_end_matches('/');
    assert!(
        authority.starts_with("127.") || authority.starts_with("localhost") || authority.starts_with("[::1]"),
        "tests only talk to a loopback S3 server, not {authority}"
    );
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    write!(s, "PUT /{bucket} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "creating bucket {bucket}: {response}");
}

/// A bucket name no other test or run uses, from `test`.
pub fn unique_bucket(test: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let name =
        format!("{}-{}-{}-{nanos}", test.replace('_', "-"), std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    name.to_lowercase().chars().take(63).collect::<String>().trim_end_matches('-').to_owned()
}

/// `s3://<fresh bucket>/<prefix>` when the tests run beside an S3 server.
pub fn fresh_url(test: &str, prefix: &str) -> Option<String> {
    let endpoint = endpoint(test)?;
    let bucket = unique_bucket(test);
    create_bucket(&endpoint, &bucket);
    Some(format!("s3://{bucket}/{prefix}"))
}
