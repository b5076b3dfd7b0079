//! `hollow serve`, run as a user would: started on a free loopback port over the Java vectors'
//! `collections` store, every endpoint fetched with a tiny HTTP client and compared with what
//! `hollow dump` and `hollow diff` print for the same versions.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{scenario_dir, temp_dir, versions};
use serde_json::Value;
use support::{hollow_ok as hollow, produce_records, string_records};

/// A `hollow serve` process on a free loopback port, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(store: &str) -> Server {
        Server::start_with(store, &[])
    }

    /// A server started with more command-line arguments.
    fn start_with(store: &str, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hollow"))
            .args(["serve", store, "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start hollow serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = lines.next().expect("serve printed nothing").unwrap();
        let port = line
            .rsplit("127.0.0.1:")
            .next()
            .and_then(|rest| rest.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server { child, port }
    }

    /// GET `path`: the status and the body.
    fn get(&self, path: &str) -> (u16, String) {
        let (status, _, body) = self.get_with_head(path);
        (status, body)
    }

    /// GET `path`: the status, the header lines and the body.
    fn get_with_head(&self, path: &str) -> (u16, String, String) {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let text = String::from_utf8(response).expect("UTF-8 response");
        let (head, body) = text.split_once("\r\n\r\n").expect("a header and a body");
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let chunked = head.lines().any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"));
        (status, head.to_owned(), if chunked { dechunk(body) } else { body.to_owned() })
    }

    fn json(&self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

fn collections_store() -> String {
    scenario_dir("collections").join("blobs").to_str().unwrap().to_owned()
}

#[test]
fn every_endpoint_says_what_dump_and_diff_say() {
    let store = collections_store();
    let vs = versions("collections");
    let server = Server::start(&store);

    let status = server.json("/api/status");
    assert_eq!(status["current"], vs[2]);
    assert_eq!(status["announced"], vs[2]);
    assert_eq!(status["versions"], serde_json::json!(vs));

    for &v in &[vs[0], vs[2]] {
        let dump: Value = serde_json::from_str(&hollow(&["dump", &store, "--version", &v.to_string()])).unwrap();
        let types = server.json(&format!("/api/types?version={v}"));
        assert_eq!(types["version"], v);
        let listed = types["types"].as_array().unwrap();
        assert_eq!(listed.len(), dump["types"].as_array().unwrap().len());
        for (summary, dumped) in listed.iter().zip(dump["types"].as_array().unwrap()) {
            let name = dumped["schema"]["name"].as_str().unwrap();
            assert_eq!(summary["name"], name);
            assert_eq!(summary["kind"], dumped["schema"]["kind"]);
            assert_eq!(summary["records"], dumped["populatedCount"], "{name}");
            assert_eq!(summary["shards"], dumped["numShards"], "{name}");
            assert_eq!(summary["maxOrdinal"], dumped["maxOrdinal"], "{name}");
            assert_eq!(summary["primaryKey"], dumped["schema"]["primaryKey"], "{name}");

            let page = server.json(&format!("/api/types/{name}/records?version={v}&limit=500"));
            let ordinals: Vec<&Value> = page["records"].as_array().unwrap().iter().map(|r| &r["ordinal"]).collect();
            let expected: Vec<&Value> = dumped["populatedOrdinals"].as_array().unwrap().iter().collect();
            assert_eq!(ordinals, expected, "{name} at {v}");
            for record in dumped["records"].as_array().unwrap() {
                let got = server.json(&format!("/api/types/{name}/records/{}?version={v}", record["ordinal"]));
                assert_eq!(&got["dump"], record, "{name} {} at {v}", record["ordinal"]);
            }
        }
    }

    // A page of 2: the second page starts where the first ends.
    let first = server.json("/api/types/String/records?limit=2");
    let second = server.json("/api/types/String/records?limit=2&page=1");
    assert_eq!(first["records"].as_array().unwrap().len(), 2);
    assert!(first["records"][1]["ordinal"].as_u64() < second["records"][0]["ordinal"].as_u64());

    for (from, to, extra) in [(vs[0], vs[1], ""), (vs[1], vs[2], ""), (vs[0], vs[2], "&type=Show&limit=1")] {
        let mut args =
            vec!["diff".to_owned(), store.clone(), "--from".into(), from.to_string(), "--to".into(), to.to_string()];
        args.extend(["--format".into(), "json".into()]);
        if !extra.is_empty() {
            args.extend(["--type".into(), "Show".into(), "--limit".into(), "1".into()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut expected: Value = serde_json::from_str(&hollow(&args)).unwrap();
        let mut got = server.json(&format!("/api/diff?from={from}&to={to}{extra}"));
        // `stats` tell how the diff was computed (the CLI reaches `to` from `from`, so the two share
        // types; the server loads versions on their own): everything else is the same.
        let (stats, expected_stats) =
            (got.as_object_mut().unwrap().remove("stats"), expected.as_object_mut().unwrap().remove("stats"));
        assert!(stats.is_some() && expected_stats.is_some());
        assert!(got == expected, "{from} -> {to} {extra}:\n{got}\n{expected}");
    }
    // Without versions: from the version before the followed one to it.
    assert_eq!(server.json("/api/diff")["from"], vs[1]);

    // Show 2 at v2 by primary key; Studio by its two-field key; Person by a hash query on name.
    let dump: Value = serde_json::from_str(&hollow(&["dump", &store, "--version", &vs[1].to_string()])).unwrap();
    let records_of = |t: &str| -> Vec<Value> {
        dump["types"].as_array().unwrap().iter().find(|x| x["schema"]["name"] == t).unwrap()["records"]
            .as_array()
            .unwrap()
            .clone()
    };
    let show2 = records_of("Show").into_iter().find(|r| r["value"]["id"] == 2).unwrap();
    let found = server.json(&format!("/api/types/Show/lookup?version={}&k0=2", vs[1]));
    assert_eq!(found["total"], 1);
    assert_eq!(found["records"][0]["ordinal"], show2["ordinal"]);
    assert_eq!(found["records"][0]["key"], serde_json::json!([2]));
    assert_eq!(server.json(&format!("/api/types/Show/lookup?version={}&k0=3", vs[2]))["total"], 0);
    let person = records_of("Person").into_iter().next().unwrap();
    let name = person["value"]["name"].as_str().unwrap();
    let same_name = records_of("Person").iter().filter(|p| p["value"]["name"] == name).count();
    let query = server.json(&format!("/api/types/Person/query?version={}&fields=name&k0={}", vs[1], encode(name)));
    assert_eq!(query["total"], same_name, "{query}");
    assert!(query["records"].as_array().unwrap().iter().any(|r| r["ordinal"] == person["ordinal"]));

    // The record tree: references with their types and ordinals, collections expanded.
    let tree = server.json(&format!("/api/types/Show/records/{}?version={}", show2["ordinal"], vs[1]));
    let tags = tree["fields"].as_array().unwrap().iter().find(|f| f["name"] == "tags").unwrap();
    assert_eq!(tags["node"]["kind"], "ref");
    assert_eq!(tags["node"]["type"], "ListOfString");
    assert_eq!(tags["node"]["ordinal"], show2["value"]["tags"]["ref"]);
    let tags_record =
        server.json(&format!("/api/types/ListOfString/records/{}?version={}", tags["node"]["ordinal"], vs[1]));
    assert_eq!(tags["node"]["size"], tags_record["dump"]["value"]["size"]);
    assert_eq!(tags["node"]["entries"].as_array().unwrap().len(), tags_record["entries"].as_array().unwrap().len());

    // History of show 2: modified at v2 and not after; show 4 added at v2; show 3 removed at v2.
    let history = server.json("/api/history/Show?k0=2");
    assert_eq!(history["versions"], serde_json::json!(vs));
    let changes = history["changes"].as_array().unwrap();
    let diff12 = server.json(&format!("/api/diff?from={}&to={}&type=Show&limit=100", vs[0], vs[1]));
    let modified = diff12["types"][0]["modifiedRecords"].as_array().unwrap();
    let show2_fields = &modified.iter().find(|m| m["key"] == serde_json::json!([2])).unwrap()["fields"];
    assert_eq!(changes.len(), 1, "{history}");
    assert_eq!((&changes[0]["version"], changes[0]["change"].as_str()), (&Value::from(vs[1]), Some("modified")));
    assert_eq!(&changes[0]["fields"], show2_fields);
    let added = server.json("/api/history/Show?k0=4");
    assert!(added["first"].is_null());
    assert_eq!(added["changes"][0]["change"], "added");
    assert_eq!(server.json("/api/history/Show?k0=3")["changes"][0]["change"], "removed");

    // The pages and the rest.
    for page in ["/", "/types/Show", "/types/Show/records/1", "/diff", "/history", "/history/Show", "/assets/style.css"]
    {
        assert_eq!(server.get(page).0, 200, "{page}");
    }
    let (_, diff_page) = server.get(&format!("/diff?from={}&to={}&type=Show", vs[0], vs[1]));
    assert!(diff_page.contains("class=\"changed\""), "a modified field is highlighted");
    let (code, health) = server.get("/healthz");
    assert_eq!((code, health.trim()), (200, format!("ok: version {}", vs[2]).as_str()));
    let (code, metrics) = server.get("/metrics");
    assert_eq!(code, 200);
    assert!(metrics.contains("hollow_consumer_records{dataset=\"default\",type=\"Show\"}"), "{metrics}");
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[test]
fn a_server_mapping_its_snapshots_shows_the_same_records_with_less_heap() {
    let store = collections_store();
    let vs = versions("collections");
    let copying = Server::start(&store);
    let mapping = Server::start_with(&store, &["--memory-mapping", "shared"]);
    let heap = |types: &Value| {
        types["types"].as_array().unwrap().iter().map(|t| t["heapBytes"].as_u64().unwrap()).sum::<u64>()
    };
    // The followed version (reached by the snapshot the store holds for it) and an older one (a side
    // consumer's snapshot): the same types, counts and records either way, read in place when mapped.
    for path in ["/api/types".to_owned(), format!("/api/types?version={}", vs[0])] {
        let (copied, mapped) = (copying.json(&path), mapping.json(&path));
        let without_heap = |types: &Value| {
            let mut types = types.clone();
            types["types"].as_array_mut().unwrap().iter_mut().for_each(|t| t["heapBytes"] = Value::Null);
            types
        };
        assert_eq!(without_heap(&copied), without_heap(&mapped), "{path}");
        assert!(
            heap(&mapped) < heap(&copied),
            "{path}: mapped {} vs copied {} heap bytes",
            heap(&mapped),
            heap(&copied)
        );
        for t in copied["types"].as_array().unwrap() {
            let records = format!(
                "/api/types/{}/records?limit=500{}",
                t["name"].as_str().unwrap(),
                path.strip_prefix("/api/types").unwrap().replace('?', "&")
            );
            assert_eq!(copying.json(&records), mapping.json(&records), "{records}");
        }
    }
    let (ok, _, err) = support::hollow(&["serve", &store, "--memory-mapping", "private"]);
    assert!(!ok && err.contains("--memory-mapping"), "{err}");
}

#[test]
fn bad_requests_get_a_4xx_with_a_message() {
    let server = Server::start(&collections_store());
    let cases = [
        ("/api/types/Nope/records", 404, "no type \"Nope\""),
        ("/api/types/Show/records/999", 404, "no record 999"),
        ("/api/types/Show/records/-1", 400, "not a record ordinal"),
        ("/api/types/Show/records/abc", 400, "not a record ordinal"),
        ("/api/types/Show/lookup?k0=abc", 400, "k0 (id): \"abc\" is not a LONG"),
        ("/api/types/Show/lookup", 400, "k0: missing"),
        ("/api/types/Studio/lookup?k0=x", 400, "k1: missing"),
        ("/api/types/String/lookup?k0=x", 400, "has no primary key"),
        ("/api/types/Show/query?fields=nope&k0=1", 400, "Show has no field nope"),
        ("/api/types/Show/query?k0=1", 400, "fields: missing"),
        ("/api/types?version=42", 404, "version 42 is not in the store"),
        ("/api/types?version=abc", 400, "not a version number"),
        ("/api/types/Show/records?limit=0", 400, "limit: 0"),
        ("/api/types/Show/records?limit=100000", 400, "limit: 100000"),
        ("/api/types/Show/records?page=x", 400, "page: \"x\""),
        ("/api/diff?from=1", 404, "version 1 is not in the store"),
        ("/api/diff?type=Nope", 404, "no type \"Nope\""),
        ("/api/history/Show?k0=1&versions=1", 400, "versions: \"1\""),
        ("/api/history/String?k0=a", 400, "no primary key"),
        ("/api/nothing", 404, "nothing at /api/nothing"),
    ];
    for (path, status, message) in cases {
        let (got, body) = server.get(path);
        let json: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
        assert_eq!((got, &json["status"]), (status, &Value::from(status)), "{path}: {body}");
        assert!(json["error"].as_str().unwrap().contains(message), "{path}: {body}");
    }
    // Pages say the same, as HTML.
    let (status, page) = server.get("/types/Show/records/999");
    assert_eq!(status, 404);
    assert!(page.contains("no record 999"), "{page}");
    let (status, page) = server.get("/types/%3Cscript%3E");
    assert_eq!(status, 404);
    assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"), "{page}");
}

const HOSTILE: &str = "<script>document.title='owned'</script><img src=x onerror=alert(1)>";

#[test]
fn hostile_strings_render_as_text() {
    let work = temp_dir("serve-hostile");
    let d = work.join("store").to_str().unwrap().to_owned();
    let schema = "Note @PrimaryKey(id) { long id; String text; }\nString { string value; }\n";
    let line = serde_json::json!({"type": "Note", "value": {"id": 1, "text": HOSTILE}}).to_string();
    produce_records(&work, &d, schema, &[line]);
    let server = Server::start(&d);
    for page in ["/types/Note", "/types/Note/records/0", "/types/String", "/types/Note/lookup?k0=1"] {
        let (status, body) = server.get(page);
        assert_eq!(status, 200, "{page}");
        assert!(!body.contains("<script>document") && !body.contains("<img"), "{page}: {body}");
        assert!(body.contains("&lt;script&gt;document.title="), "{page}: {body}");
    }
    // Behind the escaping, the browser is told to run no inline script and load nothing from elsewhere.
    let (_, head, _) = server.get_with_head("/types/Note/records/0");
    let policy = head.lines().find(|l| l.to_ascii_lowercase().starts_with("content-security-policy:")).unwrap();
    assert!(policy.contains("script-src 'self'") && policy.contains("default-src 'none'"), "{policy}");
    let (_, body) = server.get(&format!("/types/String/query?fields=value&k0={}", encode(HOSTILE)));
    assert!(body.contains("&lt;img src=x onerror=alert(1)&gt;") && !body.contains("<img"), "{body}");
    // The API gives the data as it is.
    let record = server.json("/api/types/String/records/0");
    assert_eq!(record["fields"][0]["node"]["value"], HOSTILE);
    drop(server);
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn the_server_follows_a_producer() {
    let work = temp_dir("serve-follow");
    let d = work.join("store").to_str().unwrap().to_owned();
    let schema = "String { string value; }\n";
    produce_records(&work, &d, schema, &string_records(&["a", "b"]));
    let server = Server::start(&d);
    let v1 = server.json("/api/status")["current"].as_i64().unwrap();
    assert_eq!(server.json("/api/types")["types"][0]["records"], 2);

    produce_records(&work, &d, schema, &string_records(&["a", "b", "c"]));
    let deadline = Instant::now() + Duration::from_secs(20);
    let v2 = loop {
        let current = server.json("/api/status")["current"].as_i64().unwrap();
        if current != v1 {
            break current;
        }
        assert!(Instant::now() < deadline, "the server did not follow the new version");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(v2 > v1);
    assert_eq!(server.json("/api/types")["types"][0]["records"], 3);
    // The old version is still there to view and to diff against.
    assert_eq!(server.json(&format!("/api/types?version={v1}"))["types"][0]["records"], 2);
    let diff = server.json("/api/diff");
    assert_eq!((diff["from"].as_i64(), diff["to"].as_i64()), (Some(v1), Some(v2)));
    assert_eq!(diff["types"][0]["added"], 1);
    drop(server);
    std::fs::remove_dir_all(&work).unwrap();
}
