//! The C API, tested from C (and C++): each test compiles C programs with the system compiler (`cc`,
//! `c++`, or `$CC` / `$CXX`) against `libhollow.a` or `libhollow.so`, runs them, and checks what they
//! print. The C sources are in `tests/c/`, `examples/c/` and `bindings/cpp/`.
//!
//! Cargo does not build a package's `cdylib`/`staticlib` for its integration tests (they cannot link
//! it), so the first test to need the library builds it with a nested `cargo build` into the same
//! target directory, with the profile of the running tests.
//!
//! Sanitizer runs compile the C program with `-fsanitize=address,undefined` and link the (uninstrumented)
//! Rust static library: the sanitizers then check the C side's use of the API (every pointer the library
//! hands out, every buffer it fills) and LeakSanitizer checks that every handle is released, since all
//! allocations, Rust's included, go through the intercepted `malloc`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The system libraries Rust's standard library needs when `libhollow.a` is linked into a C program
/// (what `rustc --print native-static-libs` lists for Linux targets).
const NATIVE_STATIC_LIBS: &[&str] = &["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"];

const STRICT_C: &[&str] = &["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"];
const STRICT_CXX: &[&str] = &["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"];
const SANITIZE: &[&str] =
    &["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer", "-g"];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root")
}

/// The directory holding `libhollow.a` and `libhollow.so`, built once per test run.
fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // This test runs from <target>/<profile>/deps/.
        let exe = std::env::current_exe().expect("the test executable");
        let profile_dir = exe.parent().and_then(Path::parent).expect("<target>/<profile>").to_path_buf();
        let target_dir = profile_dir.parent().expect("<target>");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("release") => "release",
            _ => "test", // the profile `cargo test` builds with
        };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // Every library and example of the workspace with every feature: the feature resolution of
        // `cargo test --workspace --all-features` (CI's), which has compiled all of it already. Building
        // `-p hollow-ffi --lib` alone resolves features differently and recompiled twenty crates.
        let status = Command::new(cargo)
            .args([
                "build",
                "--workspace",
                "--all-features",
                "--lib",
                "--examples",
                "--profile",
                profile,
                "--target-dir",
            ])
            .arg(target_dir)
            .current_dir(repo())
            .status()
            .expect("running cargo build for libhollow");
        assert!(status.success(), "building libhollow failed");
        assert!(profile_dir.join("libhollow.a").is_file() && profile_dir.join("libhollow.so").is_file());
        profile_dir
    })
}

/// A fresh, empty directory for one test's outputs.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c-api").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

#[derive(Clone, Copy, PartialEq)]
enum Lang {
    C,
    Cxx,
}

#[derive(Clone, Copy, PartialEq)]
enum Link {
    /// Compile only (`-c`).
    None,
    /// Against libhollow.a.
    Static,
}

struct Build<'a> {
    lang: Lang,
    flags: &'a [&'a str],
    sanitize: bool,
    link: Link,
    optimize: bool,
}

impl Default for Build<'_> {
    fn default() -> Self {
        Build { lang: Lang::C, flags: STRICT_C, sanitize: false, link: Link::Static, optimize: false }
    }
}

/// Compile `sources` into `out` (an executable, or an object file for `Link::None`).
fn compile(out: &Path, sources: &[PathBuf], b: Build<'_>) -> PathBuf {
    let compiler = match b.lang {
        Lang::C => std::env::var("CC").unwrap_or_else(|_| "cc".into()),
        Lang::Cxx => std::env::var("CXX").unwrap_or_else(|_| "c++".into()),
    };
    let mut cmd = Command::new(&compiler);
    cmd.args(b.flags)
        .arg(format!("-I{}", repo().join("include").display()))
        .arg(format!("-I{}", repo().join("bindings/cpp").display()))
        .arg(format!("-I{}", repo().join("hollow-ffi/tests/c").display()))
        .arg(if b.optimize { "-O2" } else { "-O0" })
        .arg("-g");
    if b.sanitize {
        cmd.args(SANITIZE);
    }
    if b.link == Link::None {
        cmd.arg("-c");
    }
    cmd.args(sources).arg("-o").arg(out);
    match b.link {
        Link::None => {}
        Link::Static => {
            cmd.arg(lib_dir().join("libhollow.a")).args(NATIVE_STATIC_LIBS);
        }
    }
    let output = cmd.output().unwrap_or_else(|e| panic!("running {compiler}: {e}"));
    assert!(
        output.status.success(),
        "compiling {sources:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    out.to_path_buf()
}

/// Run a program to completion; panic with its output unless it succeeded. Returns its stdout.
fn run(cmd: &mut Command) -> String {
    let output: Output = cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{cmd:?} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}", output.status);
    if !stderr.is_empty() {
        eprintln!("{stderr}");
    }
    stdout
}

/// A command with the sanitizer settings of this suite.
fn sanitized(exe: &Path) -> Command {
    let mut cmd = Command::new(exe);
    cmd.env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1")
        .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
    cmd
}

fn c_test(name: &str) -> PathBuf {
    repo().join("hollow-ffi/tests/c").join(name)
}

/// The closing line of a check.h program: "<name>: N passed, 0 failed", with N > `min_passed`.
fn assert_all_passed(stdout: &str, name: &str, min_passed: usize) {
    let line = stdout.lines().rev().find(|l| l.starts_with(&format!("{name}: "))).expect("a closing line");
    let passed: usize =
        line.trim_start_matches(&format!("{name}: ")).split(' ').next().and_then(|n| n.parse().ok()).expect("a count");
    assert!(line.ends_with(" passed, 0 failed"), "{line}");
    assert!(passed >= min_passed, "only {passed} checks ran: {line}");
}

#[test]
fn header_compiles_on_its_own_in_c_and_cpp() {
    let dir = scratch("header");
    let c = dir.join("only_header.c");
    std::fs::write(&c, "#include \"hollow.h\"\nint main(void) { return HOLLOW_STATUS_OK; }\n").unwrap();
    for std in ["-std=c99", "-std=c11", "-std=c17"] {
        let flags = [std, "-Wall", "-Wextra", "-Werror", "-pedantic"];
        compile(
            &dir.join("c.o"),
            std::slice::from_ref(&c),
            Build { flags: &flags, link: Link::None, ..Default::default() },
        );
    }
    for std in ["-std=c++11", "-std=c++17"] {
        let flags = ["-x", "c++", std, "-Wall", "-Wextra", "-Werror", "-pedantic"];
        compile(
            &dir.join("cxx.o"),
            std::slice::from_ref(&c),
            Build { lang: Lang::Cxx, flags: &flags, link: Link::None, ..Default::default() },
        );
    }
    let cpp = dir.join("only_hpp.cpp");
    std::fs::write(&cpp, "#include \"hollow.hpp\"\nint main() { return 0; }\n").unwrap();
    compile(
        &dir.join("hpp.o"),
        &[cpp],
        Build { lang: Lang::Cxx, flags: STRICT_CXX, link: Link::None, ..Default::default() },
    );
}

#[test]
fn every_function_and_error_path_from_c() {
    let dir = scratch("api");
    let exe = compile(&dir.join("api_test"), &[c_test("api_test.c")], Build::default());
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let stdout = run(Command::new(&exe).arg(&work));
    assert_all_passed(&stdout, "api_test", 500);
}

#[test]
fn every_function_and_error_path_under_address_and_undefined_behavior_sanitizers() {
    let dir = scratch("api-sanitized");
    let exe = compile(&dir.join("api_test"), &[c_test("api_test.c")], Build { sanitize: true, ..Default::default() });
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let stdout = run(sanitized(&exe).arg(&work));
    assert_all_passed(&stdout, "api_test", 500);
}

/// A bucket on the loopback S3 server `.ci/with-s3.sh` starts, when `HOLLOW_TEST_S3` is set: its
/// `s3://` URL, for the C program to publish to and read from.
fn s3_url(test: &str) -> Option<String> {
    use std::io::{Read, Write};
    if std::env::var_os("HOLLOW_TEST_S3").is_none() {
        eprintln!("{test}: HOLLOW_TEST_S3 unset, S3 round trip skipped (run under .ci/with-s3.sh)");
        return None;
    }
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("HOLLOW_TEST_S3 needs AWS_ENDPOINT_URL");
    let authority = endpoint.strip_prefix("http://").expect("http endpoint").trim_end_matches('/');
    assert!(
        authority.starts_with("127.") || authority.starts_with("localhost") || authority.starts_with("[::1]"),
        "tests only talk to a loopback S3 server, not {authority}"
    );
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let bucket = format!("{}-{}-{nanos}", test.replace('_', "-"), std::process::id());
    // An unsigned `PUT /<bucket>`: the test server accepts it.
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    write!(s, "PUT /{bucket} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "creating bucket {bucket}: {response}");
    Some(format!("s3://{bucket}/c-api"))
}

/// Issue 13 (bad input is refused, with a status and a message: duplicate types, unresolvable keys,
/// calls from inside a populate callback, removed ordinals, wrong keys, 200 random bad records; 1M
/// non-ASCII string reads keep memory bounded) and issue 8 (stores by URL, `restore_announced`), in C,
/// plain and under ASan/UBSan/LSan; against S3 too when `HOLLOW_TEST_S3` is set.
#[test]
fn bad_input_is_refused_and_stores_open_by_url_from_c() {
    let dir = scratch("issue13");
    let url = s3_url("c-issue13");
    let plain = compile(&dir.join("issue13_test"), &[c_test("issue13_test.c")], Build::default());
    let stdout = run(Command::new(&plain).args(url.iter()));
    assert_all_passed(&stdout, "issue13_test", 1000);
    print!("{stdout}");
    let sanitized_exe = compile(
        &dir.join("issue13_test_asan"),
        &[c_test("issue13_test.c")],
        Build { sanitize: true, ..Default::default() },
    );
    let stdout = run(&mut sanitized(&sanitized_exe));
    assert_all_passed(&stdout, "issue13_test", 1000);
    print!("{stdout}");
}

#[test]
fn four_readers_while_another_thread_refreshes_through_20_versions_under_sanitizers() {
    let dir = scratch("threads");
    let flags: Vec<&str> = STRICT_C.iter().copied().chain(["-pthread"]).collect();
    let exe = compile(
        &dir.join("threads_test"),
        &[c_test("threads_test.c")],
        Build { flags: &flags, sanitize: true, ..Default::default() },
    );
    let stdout = run(&mut sanitized(&exe));
    assert_all_passed(&stdout, "threads_test", 20);
    print!("{stdout}");
}

/// What `vector_dump.c` must print for one version, derived from Java's JSON dump of that version.
fn expected_dump(state: &serde_json::Value, specs: &[&str]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let types = state["types"].as_array().expect("types");
    let type_named = |name: &str| types.iter().find(|t| t["schema"]["name"] == name).expect("type");
    let records = |t: &serde_json::Value| t["records"].as_array().expect("records").clone();
    writeln!(out, "version {}", state["version"]).unwrap();
    for t in types {
        let schema = &t["schema"];
        let name = schema["name"].as_str().unwrap();
        let kind = schema["kind"].as_str().unwrap();
        writeln!(out, "type {name} {kind} populated={}", t["populatedCount"]).unwrap();
        for r in records(t) {
            let v = &r["value"];
            write!(out, "{name}#{}", r["ordinal"]).unwrap();
            let ordinals = |a: &serde_json::Value| {
                a.as_array().unwrap().iter().map(|e| e.to_string()).collect::<Vec<_>>().join(",")
            };
            match kind {
                "OBJECT" => {
                    for f in schema["fields"].as_array().unwrap() {
                        let fname = f["name"].as_str().unwrap();
                        let value = &v[fname];
                        let text = if value.is_null() {
                            "null".to_owned()
                        } else {
                            match f["type"].as_str().unwrap() {
                                "INT" | "LONG" | "BOOLEAN" => value.to_string(),
                                "STRING" => format!("\"{}\"", value.as_str().unwrap()),
                                "FLOAT" => format!(
                                    "f:{:08x}",
                                    u32::from_str_radix(value["bits"].as_str().unwrap(), 16).unwrap()
                                ),
                                "DOUBLE" => format!(
                                    "d:{:016x}",
                                    u64::from_str_radix(value["bits"].as_str().unwrap(), 16).unwrap()
                                ),
                                "BYTES" => format!("hex:{}", value["hex"].as_str().unwrap()),
                                "REFERENCE" => format!("@{}", value["ref"]),
                                other => panic!("field type {other}"),
                            }
                        };
                        write!(out, " {fname}={text}").unwrap();
                    }
                }
                "LIST" | "SET" => write!(out, " [{}]", ordinals(&v["elements"])).unwrap(),
                "MAP" => {
                    let entries: Vec<String> =
                        v["entries"].as_array().unwrap().iter().map(|e| format!("{}:{}", e[0], e[1])).collect();
                    write!(out, " {{{}}}", entries.join(",")).unwrap();
                }
                other => panic!("kind {other}"),
            }
            out.push('\n');
        }
    }
    let string_value = |ordinal: &serde_json::Value| -> String {
        let strings = records(type_named("String"));
        let r = strings.iter().find(|r| &r["ordinal"] == ordinal).expect("a String record");
        r["value"]["value"].as_str().unwrap().to_owned()
    };
    for spec in specs {
        if let Some(pk) = spec.strip_prefix("pk=") {
            let (type_name, field) = pk.split_once('.').unwrap();
            for r in records(type_named(type_name)) {
                if !r["value"][field].is_null() {
                    writeln!(out, "pk {type_name} {field}={} -> {}", r["value"][field], r["ordinal"]).unwrap();
                }
            }
        } else if let Some(find) = spec.strip_prefix("setfind=") {
            let set = find.split_once(':').unwrap().0;
            for r in records(type_named(set)) {
                for e in r["value"]["elements"].as_array().unwrap() {
                    writeln!(out, "setfind {set}#{} \"{}\" -> {e}", r["ordinal"], string_value(e)).unwrap();
                }
            }
        } else if let Some(find) = spec.strip_prefix("mapfind=") {
            let map = find.split_once(':').unwrap().0;
            for r in records(type_named(map)) {
                for e in r["value"]["entries"].as_array().unwrap() {
                    let key = string_value(&e[0]);
                    writeln!(out, "mapfind {map}#{} \"{key}\" -> {}:{}", r["ordinal"], e[0], e[1]).unwrap();
                }
            }
        }
    }
    if types.iter().any(|t| t["schema"]["name"] == "String") {
        for r in records(type_named("String")) {
            writeln!(out, "string \"{}\" found", r["value"]["value"].as_str().unwrap()).unwrap();
        }
    }
    out
}

/// Run `vector_dump` over a Java-written scenario, visiting `versions` in order (snapshot, then deltas and
/// reverse deltas), and compare every line with what Java's dumps say.
fn check_vector(scenario: &str, versions: &[i64], specs: &[&str]) {
    let dir = scratch(&format!("vector-{scenario}"));
    let exe = compile(&dir.join("vector_dump"), &[c_test("vector_dump.c")], Build::default());
    let vector = repo().join("hollow-rs/tests/vectors").join(scenario);
    let blobs = vector.join("blobs");
    let expected_for = |v: i64| -> String {
        let path = vector.join("expected").join(format!("state-{v}.json"));
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        expected_dump(&json, specs)
    };
    // The announced version, by `refresh`.
    let announced: i64 = std::fs::read_to_string(blobs.join("announced.version")).unwrap().trim().parse().unwrap();
    let mut runs = vec![(Vec::new(), expected_for(announced))];
    // Each version in turn, by `refresh_to`.
    runs.push((versions.iter().map(|v| v.to_string()).collect(), versions.iter().map(|&v| expected_for(v)).collect()));
    for (args, expected) in runs {
        let actual = run(Command::new(&exe).arg(&blobs).args(&args).args(specs));
        if actual != expected {
            let (line, (a, e)) = actual
                .lines()
                .zip(expected.lines())
                .enumerate()
                .find(|(_, (a, e))| a != e)
                .unwrap_or((actual.lines().count().min(expected.lines().count()), ("<end>", "<end>")));
            panic!(
                "{scenario} {args:?}: line {} differs\n  C printed: {a}\n  expected:  {e}\n({} lines printed, {} expected)",
                line + 1,
                actual.lines().count(),
                expected.lines().count()
            );
        }
        assert!(expected.lines().count() > 20);
    }
}

const V1: i64 = 20250101000000001;
const V2: i64 = 20250101000000002;
const V3: i64 = 20250101000000003;

#[test]
fn c_program_reads_java_written_collections_as_java_does() {
    check_vector(
        "collections",
        &[V1, V2, V3, V1],
        &[
            "pk=Show.id",
            "pk=Person.personId",
            "setfind=SetOfString:String",
            "mapfind=MapOfStringToLong:String",
            "mapfind=MapOfStringToListOfInteger:String",
        ],
    );
}

#[test]
fn c_program_reads_java_written_primitives_and_strings_as_java_does() {
    check_vector("primitives", &[V1, V2, V3, V1], &["pk=AllTypes.id"]);
    check_vector("strings", &[V3, V1, V2], &[]);
}

/// The C++ program `source` (relative to the repository), compiled strictly with the sanitizers into `dir`.
fn sanitized_cxx_program(dir: &Path, source: &str) -> PathBuf {
    let source = repo().join(source);
    let exe = dir.join(source.file_stem().expect("a file name"));
    compile(&exe, &[source], Build { lang: Lang::Cxx, flags: STRICT_CXX, sanitize: true, ..Default::default() })
}

#[test]
fn cpp_wrappers_raii_and_exceptions() {
    let dir = scratch("cpp");
    let exe = sanitized_cxx_program(&dir, "hollow-ffi/tests/cpp/wrapper_test.cpp");
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let stdout = run(sanitized(&exe).arg(&work));
    assert_all_passed(&stdout, "wrapper_test", 50);
}

/// The C++ example publishes two versions and reads them back through the wrapper: the range over
/// populated ordinals skips the removed movie, lookups work, and a wrongly typed key is a clear error.
#[test]
fn cpp_example_publishes_and_reads_through_the_wrapper() {
    let dir = scratch("cpp-example");
    let exe = sanitized_cxx_program(&dir, "examples/cpp/movies.cpp");
    let out = run(sanitized(&exe).arg(dir.join("blobs")));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("published versions "), "{out}");
    assert!(lines[1].starts_with("version ") && lines[1].ends_with(": 4 movies"), "{out}");
    assert_eq!(
        lines[2..6],
        [
            "  movie 1: Heat (1995)",
            "  movie 3: Insider (1999)",
            "  movie 4: Ali (2001)",
            "  movie 5: Collateral (2004)"
        ],
        "{out}"
    );
    assert_eq!(lines[6..9], ["id 5 -> Collateral", "id 2 -> not found", "movies of 1999: 1"], "{out}");
    assert_eq!(
        lines[9],
        "string key: status 6, invalid argument: key field 0 (id) of Movie holds a long, but a string was given",
        "{out}"
    );
    // The directory is Java's layout, readable by the C consumer and Java Hollow alike.
    assert!(dir.join("blobs/announced.version").is_file());
    let usage = Command::new(&exe).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

fn example(name: &str) -> PathBuf {
    repo().join("examples/c").join(name)
}

/// Build the C producer and consumer examples and publish 3 versions into `dir/blobs`.
fn built_examples(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let producer = compile(&dir.join("producer"), &[example("producer.c")], Build::default());
    let consumer = compile(&dir.join("consumer"), &[example("consumer.c")], Build::default());
    let blobs = dir.join("blobs");
    let out = run(Command::new(&producer).arg(&blobs).arg("3"));
    assert_eq!(out.lines().filter(|l| l.starts_with("published version ")).count(), 3, "{out}");
    assert!(out.contains("with 6 movies"), "{out}");
    (producer, consumer, blobs)
}

fn assert_consumer_output(out: &str) {
    assert!(out.starts_with("version ") && out.lines().next().unwrap().ends_with(": 6 movies"), "{out}");
    assert!(out.contains("movie 1: Heat (1970), rated 8.0, tags: drama crime"), "{out}");
    assert!(out.contains("movie 6: Jaws (1985), rated 7.5, tags: crime sci-fi"), "{out}");
    assert!(out.contains("lookup id 2 -> movie 2: Alien (1973), rated 7.5, tags: crime sci-fi"), "{out}");
}

#[test]
fn c_examples_publish_and_read_a_blob_directory() {
    let dir = scratch("examples");
    let (_, consumer, blobs) = built_examples(&dir);
    let out = run(Command::new(&consumer).arg(&blobs).arg("2"));
    assert_consumer_output(&out);
    // The directory is Java's layout: three snapshots, two deltas, two reverse deltas, an announcement.
    let names: Vec<String> =
        std::fs::read_dir(&blobs).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    for (prefix, count) in [("snapshot-", 3), ("delta-", 2), ("reversedelta-", 2), ("header-", 3)] {
        assert_eq!(names.iter().filter(|n| n.starts_with(prefix)).count(), count, "{names:?}");
    }
    assert!(names.iter().any(|n| n == "announced.version"));
    // A missing directory is an error the consumer reports, not a crash.
    let missing = Command::new(&consumer).arg(dir.join("nowhere")).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not found"));

    // The benchmark program builds and runs on a small dataset.
    let bench =
        compile(&dir.join("bench_get"), &[example("bench_get.c")], Build { optimize: true, ..Default::default() });
    let out = run(Command::new(&bench).args(["2000", "5000", "3"]));
    assert!(out.contains("C get (primary-key lookup + title): median "), "{out}");
    // It exits with an error when the one-call and three-call reads disagree; every key is found, so the
    // batch lookup's checksum is at least the 3 rounds x 5000 keys found.
    assert!(out.contains("C get in three calls (lookup, reference, string): median "), "{out}");
    let batch_checksum: u64 = out
        .split("C get_many (lookup alone, 1024 keys per call)")
        .nth(1)
        .and_then(|rest| rest.split("checksum ").nth(1))
        .and_then(|c| c.trim_end().trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no batch checksum in {out}"));
    assert!(batch_checksum >= 3 * 5000, "{out}");
}

#[test]
fn c_demo_tour_agrees_with_its_catalog() {
    let dir = scratch("demo");
    let demo = compile(&dir.join("demo"), &[example("demo.c")], Build::default());
    let out = run(Command::new(&demo).arg(dir.join("blobs")).args(["300", "6"]));
    // Six cycles, each a new version that the consumer and the diff agree on.
    assert_eq!(out.lines().filter(|l| l.starts_with("cycle ")).count(), 6, "{out}");
    assert!(out.contains("300 events over 6 cycles; 12000 lookups: p50 "), "{out}");
    assert!(out.contains("consumer and diffs agree with the catalog: yes; wrong lookups: 0"), "{out}");
    // Cycles after the first print their diff; the catalog grows from 200 movies on net additions.
    assert_eq!(out.lines().filter(|l| l.contains(" (+")).count(), 5, "{out}");
    let usage = Command::new(&demo).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn c_examples_leak_nothing_under_valgrind() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "valgrind is required in CI");
        eprintln!("valgrind not found: skipped");
        return;
    }
    let dir = scratch("valgrind");
    let (producer, consumer, blobs) = built_examples(&dir);
    let valgrind = |exe: &Path, args: &[&std::ffi::OsStr]| {
        run(Command::new("valgrind")
            .args(["--leak-check=full", "--errors-for-leak-kinds=definite,indirect,possible", "--error-exitcode=1"])
            .args(["--quiet"])
            .arg(exe)
            .args(args))
    };
    // Two more cycles (each reading back the previous state and checking blobs against each other).
    let out = valgrind(&producer, &[blobs.as_os_str(), "2".as_ref()]);
    assert!(out.contains("published version"), "{out}");
    let out = valgrind(&consumer, &[blobs.as_os_str(), "2".as_ref()]);
    assert!(out.contains("lookup id 2 -> movie 2: Alien"), "{out}");
    // The benchmark, small: the one-call reads and the batch lookup, under valgrind too.
    let bench = compile(&dir.join("bench_get"), &[example("bench_get.c")], Build::default());
    let out = valgrind(&bench, &["300".as_ref(), "2000".as_ref(), "1".as_ref()]);
    assert!(out.contains("C get_many (lookup alone"), "{out}");
}

#[test]
fn install_script_and_pkg_config() {
    let dir = scratch("install");
    let prefix = dir.join("prefix");
    let out = run(Command::new("bash")
        .arg(repo().join("hollow-ffi/install.sh"))
        .arg(&prefix)
        .env("HOLLOW_SKIP_BUILD", "1")
        .env("HOLLOW_LIB_DIR", lib_dir()));
    assert!(out.contains("installed libhollow"), "{out}");
    let lib = prefix.join("lib");
    for f in ["libhollow.a", "libhollow.so", "libhollow.so.0", "pkgconfig/hollow.pc"] {
        assert!(lib.join(f).exists(), "{f} missing");
    }
    assert!(prefix.join("include/hollow.h").is_file() && prefix.join("include/hollow.hpp").is_file());
    assert_eq!(std::fs::read_link(lib.join("libhollow.so")).unwrap(), Path::new("libhollow.so.0"));

    // The shared library carries its SONAME.
    if let Ok(o) = Command::new("readelf").arg("-d").arg(lib.join("libhollow.so")).output() {
        let dynamic = String::from_utf8_lossy(&o.stdout);
        assert!(dynamic.contains("Library soname: [libhollow.so.0]"), "{dynamic}");
    }

    // pkg-config finds it, and a program built with its flags links the shared library and runs.
    let pkg_config = |args: &[&str]| -> Option<String> {
        let o =
            Command::new("pkg-config").args(args).arg("hollow").env("PKG_CONFIG_PATH", lib.join("pkgconfig")).output();
        o.ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(version) = pkg_config(&["--modversion"]) else {
        assert!(std::env::var_os("CI").is_none(), "pkg-config is required in CI");
        eprintln!("pkg-config not found: skipped the build through pkg-config");
        return;
    };
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    let cflags = pkg_config(&["--cflags"]).unwrap();
    let libs = pkg_config(&["--libs"]).unwrap();
    assert!(pkg_config(&["--static", "--libs"]).unwrap().contains("-lpthread"));
    let exe = dir.join("consumer");
    let mut cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
    cc.args(STRICT_C).args(cflags.split_whitespace()).arg(example("consumer.c")).arg("-o").arg(&exe);
    cc.args(libs.split_whitespace());
    run(&mut cc);
    // It needs the installed shared library, by its SONAME.
    let ldd = run(Command::new("ldd").arg(&exe).env("LD_LIBRARY_PATH", &lib));
    assert!(ldd.contains(&format!("libhollow.so.0 => {}", lib.join("libhollow.so.0").display())), "{ldd}");

    let (_, _, blobs) = built_examples(&scratch("install-data"));
    let out = run(Command::new(&exe).arg(&blobs).arg("2").env("LD_LIBRARY_PATH", &lib));
    assert_consumer_output(&out);

    // The README's other recipe for a non-system prefix: an rpath, so the program runs with no
    // LD_LIBRARY_PATH; here the C++ example, built as its header comment says, with the installed hollow.hpp.
    let cpp = dir.join("movies");
    let mut cxx = Command::new(std::env::var("CXX").unwrap_or_else(|_| "c++".into()));
    cxx.args(STRICT_CXX).arg(repo().join("examples/cpp/movies.cpp")).args(cflags.split_whitespace());
    cxx.args(libs.split_whitespace()).arg(format!("-Wl,-rpath,{}", lib.display())).arg("-o").arg(&cpp);
    run(&mut cxx);
    let out = run(Command::new(&cpp).arg(dir.join("cpp-blobs")).env_remove("LD_LIBRARY_PATH"));
    assert!(out.contains("id 5 -> Collateral"), "{out}");
}

/// Every function the header declares is called by `api_test.c`, so a new export cannot go untested.
#[test]
fn api_test_calls_every_exported_function() {
    let header = std::fs::read_to_string(repo().join("include/hollow.h")).unwrap();
    let test = std::fs::read_to_string(c_test("api_test.c")).unwrap();
    let exported: Vec<&str> = header
        .lines()
        .filter(|l| {
            l.starts_with("hollow_status hollow_")
                || l.starts_with("const char *hollow_")
                || l.starts_with("void hollow_")
        })
        .map(|l| l.split(['(', ' ', '*']).find(|w| w.starts_with("hollow_") && *w != "hollow_status").unwrap())
        .collect();
    assert!(exported.len() > 70, "{exported:?}");
    let missing: Vec<&&str> = exported.iter().filter(|f| !test.contains(&format!("{f}("))).collect();
    assert!(missing.is_empty(), "api_test.c does not call {missing:?}");
}

/// The two C snippets of the README's "Use from C/C++" section, put together, compile and print "Heat".
#[test]
fn readme_c_snippets_compile_and_run() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = &readme[readme.find("## Use from C/C++").expect("the section")..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let blocks: Vec<&str> = section.split("```c\n").skip(1).map(|b| b.split("```").next().unwrap()).collect();
    assert_eq!(blocks.len(), 2, "a producer and a consumer snippet");
    let dir = scratch("readme");
    let data = dir.join("movies");
    let (producer, consumer) = (blocks[0], blocks[1]);
    let callback_end = producer.find("}\n\n").expect("the callback, then the calls") + 2;
    let program = format!(
        "#include <stdio.h>\n#include \"hollow.h\"\n{}int main(void) {{\n{}{}    return 0;\n}}\n",
        &producer[..callback_end],
        &producer[callback_end..],
        consumer
    )
    .replace("/data/movies", data.to_str().unwrap());
    let source = dir.join("readme.c");
    std::fs::write(&source, program).unwrap();
    let exe = compile(&dir.join("readme"), &[source], Build::default());
    assert_eq!(run(&mut Command::new(exe)), "Heat\n");
}
