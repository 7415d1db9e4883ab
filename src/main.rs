//! `sms-conformance`: see the README, or `sms-conformance --help`.

fn main() -> std::process::ExitCode {
    sms_conformance::cli::main()
}
