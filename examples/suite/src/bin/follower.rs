//! The tour's subprocess consumer on its own (the tests start it: a test binary cannot re-run itself).

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, flag, url] = args.as_slice() else {
        eprintln!("usage: follower --follow-store URL");
        return std::process::ExitCode::from(2);
    };
    if flag != "--follow-store" {
        eprintln!("usage: follower --follow-store URL");
        return std::process::ExitCode::from(2);
    }
    match hollow_examples::tour::follow_store(url) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("follower: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
