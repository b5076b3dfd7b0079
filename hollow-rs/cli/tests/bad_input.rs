//! Bad input given to the `hollow` command-line tool is refused with an error naming what was wrong,
//! and refusing it loses nothing: the announced version stays as it was.

mod support;

const MOVIES: &str = "Movie @PrimaryKey(id) { long id; String title; } String { string value; }";

/// `hollow ARGS` with `stdin` as its input: whether it succeeded, and what it printed on both streams.
fn hollow(args: &[&str], stdin: &str) -> (bool, String) {
    let (ok, stdout, stderr) = support::hollow_with_input(args, stdin);
    (ok, stdout + &stderr)
}

#[test]
fn the_cli_refuses_empty_truncated_duplicate_and_badly_keyed_input() {
    let dir = std::env::temp_dir().join(format!("hollow-bad-input-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let schema = dir.join("schema.txt");
    std::fs::write(&schema, MOVIES).unwrap();
    let store = dir.join("store");
    let (s, st) = (schema.to_str().unwrap(), store.to_str().unwrap());
    let produce = |extra: &[&str], input: &str| {
        let mut args = vec!["produce", st, "--schema", s, "--input", "-", "--type", "Movie"];
        args.extend_from_slice(extra);
        hollow(&args, input)
    };
    let four: String = (1..=4).map(|i| format!("{{\"id\": {i}, \"title\": \"t{i}\"}}\n")).collect();
    let (ok, out) = produce(&[], &four);
    assert!(ok, "{out}");
    let announced = || std::fs::read_to_string(store.join("announced.version")).unwrap();
    let first = announced();

    let (ok, out) = produce(&[], "");
    assert!(!ok && out.contains("holds no records") && out.contains("--allow-empty"), "{out}");
    let (ok, out) = produce(&[], "{\"id\": 1, \"title\": \"t1\"}\n");
    assert!(!ok && out.contains("4 to 1 records"), "{out}");
    let (ok, out) = produce(&[], &(four.clone() + "{\"id\": 1, \"title\": \"again\"}\n"));
    assert!(!ok && out.contains("same primary key"), "{out}");
    assert_eq!(announced(), first, "nothing refused was announced");

    std::fs::write(&schema, "Movie @PrimaryKey(nope) { long id; }").unwrap();
    let (ok, out) = produce(&[], &four);
    assert!(!ok && out.contains("nope"), "{out}");
    std::fs::write(&schema, "Movie { long id; } Movie { string id; }").unwrap();
    let (ok, out) = produce(&[], &four);
    assert!(!ok && out.contains("defined twice"), "{out}");

    std::fs::write(&schema, MOVIES).unwrap();
    let (ok, out) = produce(&["--allow-empty", "--max-removed-share", "1"], "");
    assert!(ok, "{out}");
    assert_ne!(announced(), first);
    std::fs::remove_dir_all(&dir).unwrap();
}
