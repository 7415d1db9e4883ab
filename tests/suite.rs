//! The whole case suite against the embedded faithful mock, each case its own test, through
//! the binary's own code path (`cargo test --test suite -- auth/` filters as usual).

fn main() -> std::process::ExitCode {
    let root = env!("CARGO_MANIFEST_DIR");
    let args = [
        "sms-conformance".to_owned(),
        "--cases".into(),
        format!("{root}/cases"),
        "--schemas".into(),
        format!("{root}/schemas"),
        // The embedded mock holds every assumption: a contradiction here is a defect.
        "--strict".into(),
    ];
    sms_conformance::cli::main_with(
        args.into_iter()
            .map(Into::into)
            .chain(std::env::args_os().skip(1)),
    )
}
