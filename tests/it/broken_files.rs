//! Broken input files stop the run before any request, with an error naming the file, the
//! line and column, and the key. Each file in `tests/broken/{cases,fixtures,manifests}/` is a test; its
//! expected message is the `.expected` file beside it (`BLESS=1 cargo test --test
//! it broken_files::` rewrites them after a deliberate change).

use crate::common;

use std::path::{Path, PathBuf};

use common::faithful;
use rstest::rstest;
use sms_conformance::mock::Fixture;

fn bless() -> bool {
    std::env::var("BLESS").is_ok_and(|v| !v.is_empty())
}

/// Compares `message` with the golden file beside `input`.
fn assert_golden(input: &Path, message: &str) {
    let golden = input.with_extension("expected");
    if bless() {
        std::fs::write(&golden, format!("{message}\n")).unwrap();
    }
    let expected =
        std::fs::read_to_string(&golden).unwrap_or_else(|_| panic!("no {}", golden.display()));
    assert_eq!(message, expected.trim_end(), "{}", input.display());
}

/// The one error for a cases folder holding `input` alone, with the folder's path removed.
fn case_error(input: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let name = input.file_name().unwrap();
    std::fs::copy(input, dir.path().join(name)).unwrap();
    let errors = common::load_cases(dir.path()).expect_err("a broken file must be refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0]
        .to_string()
        .replace(&format!("{}/", dir.path().display()), "")
}

#[rstest]
fn a_broken_case_file_is_refused_with_its_place(
    #[files("tests/broken/cases/*.yaml")] input: PathBuf,
) {
    assert_golden(&input, &case_error(&input));
}

#[rstest]
fn a_broken_fixture_is_refused_with_its_place(
    #[files("tests/broken/fixtures/*.yaml")] input: PathBuf,
) {
    let message = Fixture::load(&input)
        .expect_err("a broken fixture must be refused")
        .to_string();
    let message = message.replace(&format!("{}/", input.parent().unwrap().display()), "");
    assert_golden(&input, &message);
}

/// A copy of the shipped schemas folder, for a test to break one file of.
fn shipped_schemas() -> tempfile::TempDir {
    let schemas = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(common::schemas_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, schemas.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    schemas
}

/// A broken manifest stops the run with its place, the contract's other files as shipped:
/// the quick reader reads the manifest first, and a manifest it or the checks refuse is read
/// again in full, so that the error keeps its line and column.
#[rstest]
fn a_broken_manifest_is_refused_with_its_place(
    #[files("tests/broken/manifests/*.yaml")] input: PathBuf,
) {
    assert_golden(&input, &contract_error(&input, "manifest.yaml"));
}

/// A broken schema stops the run with jsonschema's own words, the contract's other files as
/// shipped: whether it breaks a rule of its meta-schema or keeps them all and still does not
/// compile (the contract checks the rules of plainly valid schemas itself, and leaves every
/// other schema, and one that does not compile, to jsonschema).
#[rstest]
fn a_broken_schema_is_refused_in_jsonschemas_words(
    #[files("tests/broken/schemas/*.schema.json")] input: PathBuf,
) {
    let message = contract_error(&input, "error-detail.schema.json");
    assert_golden(&input.with_extension(""), &message);
}

/// What a run says, with the folder's path removed, of the shipped contract with its file
/// `name` replaced by `input`: it must refuse to run.
fn contract_error(input: &Path, name: &str) -> String {
    let schemas = shipped_schemas();
    std::fs::copy(input, schemas.path().join(name)).unwrap();
    let cases = common::data_cases();
    let (code, text) = common::binary::output(&[
        "--schemas",
        schemas.path().to_str().unwrap(),
        "--cases",
        cases.to_str().unwrap(),
        "--list",
    ]);
    assert_eq!(code, 2, "{text}");
    let message = text.replace(&format!("{}/", schemas.path().display()), "");
    message.trim_end().to_owned()
}

#[tokio::test]
async fn broken_case_files_stop_the_run_before_any_request_and_are_all_reported() {
    let server = common::stub(faithful).await;
    let dir = tempfile::tempdir().unwrap();
    let broken = common::root().join("tests/broken/cases");
    let mut count = 0;
    for entry in std::fs::read_dir(&broken).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
            count += 1;
        }
    }
    std::fs::write(
        dir.path().join("good.yaml"),
        "request:\n  task_id: x\nexpect:\n  status: 404\n",
    )
    .unwrap();
    // A file the walk refuses is reported with the others, not instead of them.
    common::fifo(&dir.path().join("fifo.yaml"));
    count += 1;
    let output = run_over(dir.path(), &server).await;
    let stderr = output.stderr.clone();
    assert_eq!(output.code, 2, "{stderr}");
    assert!(
        stderr.starts_with("error: nothing was sent; fix these first:"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.contains(".yaml")).count(),
        count,
        "{stderr}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    assert!(output.stdout.is_empty(), "{}", output.stdout);
}

/// The schemas compile while the cases are read: a schema that does not compile still lets
/// the names the cases use be checked, and both are reported.
#[tokio::test]
async fn a_schema_that_does_not_compile_and_a_case_naming_no_schema_are_both_reported() {
    let schemas = shipped_schemas();
    std::fs::write(
        schemas.path().join("error-detail.schema.json"),
        r#"{"type": "no-such-type"}"#,
    )
    .unwrap();
    let cases = tempfile::tempdir().unwrap();
    let broken = common::root().join("tests/broken/cases/unknown-schema.yaml");
    std::fs::copy(&broken, cases.path().join("unknown-schema.yaml")).unwrap();
    let args = [
        "--schemas",
        schemas.path().to_str().unwrap(),
        "--cases",
        cases.path().to_str().unwrap(),
    ];
    let output = common::binary::run(&args, &common::binary::builtin_env()).await;
    let stderr = output.stderr;
    assert_eq!(output.code, 2, "{stderr}");
    assert!(
        stderr.contains("error-detail.schema.json: not a valid schema"),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("unknown-schema.yaml:2:11: `document.schema`: unknown schema `passphrases`"),
        "{stderr}"
    );
}

/// `--schemas` at a folder that holds no schema (a wrong path) is said once, plainly: not as
/// an unknown name in every case.
#[tokio::test]
async fn a_schemas_folder_without_schemas_is_one_error_not_one_a_case() {
    let empty = tempfile::tempdir().unwrap();
    let cases = common::data_cases();
    let args = [
        "--schemas",
        empty.path().to_str().unwrap(),
        "--cases",
        cases.to_str().unwrap(),
    ];
    let output = common::binary::run(&args, &common::binary::builtin_env()).await;
    assert_eq!(output.code, 2, "{}", output.stderr);
    assert!(
        output.stderr.contains("no schemas (*.schema.json) here"),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.contains("unknown"), "{}", output.stderr);
}

#[tokio::test]
async fn a_broken_fixture_stops_the_run() {
    let fixture = common::root().join("tests/broken/fixtures/no-tasks.yaml");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_sms-conformance"))
        .current_dir(common::root())
        .args(["--fixture", fixture.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no-tasks.yaml: `tasks` is empty"));
}

const VALID: &str = "request:\n  task_id: ${task_id}\n  token: ${token}\nexpect:\n  status: 200\n";

#[test]
fn a_case_id_is_its_path_without_extension() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("auth")).unwrap();
    std::fs::write(dir.path().join("auth/missing-token.yaml"), VALID).unwrap();
    // An upper-case extension is still YAML: skipping it would drop a case without a word.
    std::fs::write(dir.path().join("auth/SHOUTED.YML"), VALID).unwrap();
    std::fs::write(dir.path().join("README.md"), "not a case").unwrap();
    let cases = common::load_cases(dir.path()).unwrap();
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["auth/SHOUTED", "auth/missing-token"]);
}

#[test]
fn every_broken_file_is_reported_not_just_the_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "request: [").unwrap();
    std::fs::write(dir.path().join("b.yaml"), VALID.replace("token:", "tokn:")).unwrap();
    std::fs::write(dir.path().join("c.yaml"), VALID).unwrap();
    assert_eq!(common::load_cases(dir.path()).unwrap_err().len(), 2);
}

#[test]
fn the_shipped_cases_all_load() {
    let cases = common::load_cases(&common::cases_dir()).unwrap();
    assert!(cases.len() >= 60, "{} cases", cases.len());
}

/// Loads the cases in `dir` on a thread, within a bound generous enough for any machine: a
/// loader that blocks forever fails the test instead of hanging it.
fn load_without_hanging(
    dir: &Path,
) -> Result<Vec<std::sync::Arc<sms_conformance::Case>>, Vec<sms_conformance::FileError>> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let dir = dir.to_owned();
    std::thread::spawn(move || sender.send(common::load_cases(&dir)));
    receiver
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the loader hangs")
}

#[cfg(unix)]
#[test]
fn a_fifo_a_socket_or_a_device_among_the_cases_is_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.yaml"), VALID).unwrap();
    common::fifo(&dir.path().join("fifo.yaml"));
    let _socket = std::os::unix::net::UnixListener::bind(dir.path().join("socket.yaml")).unwrap();
    std::os::unix::fs::symlink("/dev/null", dir.path().join("device.yaml")).unwrap();
    let errors = load_without_hanging(dir.path()).expect_err("special files must be refused");
    let mut messages: Vec<String> = errors
        .iter()
        .map(|e| {
            e.to_string()
                .replace(&format!("{}/", dir.path().display()), "")
        })
        .collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            "device.yaml: not a regular file (a device): only case files are read here",
            "fifo.yaml: not a regular file (a FIFO): only case files are read here",
            "socket.yaml: not a regular file (a socket): only case files are read here",
        ]
    );
}

/// A file the walk refuses (here a FIFO) does not hide the errors of the files it found: the
/// user fixes them all in one round.
#[cfg(unix)]
#[test]
fn a_refused_file_does_not_hide_the_other_files_errors() {
    let dir = tempfile::tempdir().unwrap();
    common::fifo(&dir.path().join("fifo.yaml"));
    std::fs::write(dir.path().join("broken.yaml"), "request: [\n").unwrap();
    let errors = load_without_hanging(dir.path()).expect_err("both files must be refused");
    let files: Vec<String> = errors
        .iter()
        .map(|e| e.file.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["broken.yaml", "fifo.yaml"], "{errors:?}");
}

/// The binary run over the cases in `dir` against `server`.
async fn run_over(dir: &Path, server: &wiremock::MockServer) -> common::binary::Run {
    let args = [
        "--base-url",
        &server.uri(),
        "--cases",
        dir.to_str().unwrap(),
    ];
    common::binary::run(&args, &common::binary::builtin_env()).await
}

/// A run whose cases all load, beside one file the walk refuses, sends nothing and fails:
/// a file left out without a word would let the run pass without it.
#[cfg(unix)]
#[tokio::test]
async fn a_refused_file_alone_stops_the_run() {
    let server = common::stub(faithful).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.yaml"), VALID).unwrap();
    common::fifo(&dir.path().join("fifo.yaml"));
    let output = run_over(dir.path(), &server).await;
    assert_eq!(output.code, 2, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("fifo.yaml: not a regular file (a FIFO)"),
        "{}",
        output.stderr
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[cfg(unix)]
#[test]
fn a_directory_symlink_loop_is_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("top.yaml"), VALID).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/inner.yaml"), VALID).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("sub/up")).unwrap();
    let cases = load_without_hanging(dir.path()).unwrap();
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["sub/inner", "top"]);
}

/// A sparse file of `len` bytes (all zeros), named `name` in `dir`: no disk is used.
fn sparse(dir: &Path, name: &str, len: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().set_len(len).unwrap();
    path
}

#[test]
fn a_huge_case_file_is_refused_at_once_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.yaml"), VALID).unwrap();
    sparse(dir.path(), "huge.yaml", 64 << 30);
    let started = std::time::Instant::now();
    let errors = load_without_hanging(dir.path()).expect_err("a huge file must be refused");
    let messages: Vec<String> = errors
        .iter()
        .map(|e| {
            e.to_string()
                .replace(&format!("{}/", dir.path().display()), "")
        })
        .collect();
    assert_eq!(
        messages,
        [
            "huge.yaml: the file is over 1 MiB, the most a case, fixture, manifest or schema may have"
        ]
    );
    // Reading 64 GiB of zeros takes minutes; refusing it, a few reads.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_fixture_over_the_cap_is_refused_and_one_at_the_cap_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let over = sparse(dir.path(), "over.yaml", (1 << 20) + 1);
    let message = Fixture::load(&over).expect_err("over the cap").to_string();
    assert!(
        message.ends_with(
            "over.yaml: the file is over 1 MiB, the most a case, fixture, manifest or schema may have"
        ),
        "{message}"
    );
    // At the cap, the file is read and parsed: its zeros are what is wrong with it.
    let at = sparse(dir.path(), "at.yaml", 1 << 20);
    let message = Fixture::load(&at)
        .expect_err("zeros are no YAML")
        .to_string();
    assert!(message.contains("at.yaml:1:1:"), "{message}");
}

#[cfg(unix)]
#[test]
fn links_to_a_case_file_and_to_a_folder_of_cases_are_followed() {
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("kept.yaml"), VALID).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("linked")).unwrap();
    std::os::unix::fs::symlink(
        elsewhere.path().join("kept.yaml"),
        dir.path().join("alias.yaml"),
    )
    .unwrap();
    let cases = load_without_hanging(dir.path()).unwrap();
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["alias", "linked/kept"]);
}

/// A case's id is its file's path: one with a control character (an escape that would
/// colour the output, a line break that would forge a line) is refused, and said escaped;
/// nothing is sent, and no raw control character reaches either stream. (Windows allows no
/// such name.)
#[cfg(unix)]
#[tokio::test]
async fn a_case_file_whose_name_holds_a_control_character_is_refused() {
    let server = common::stub(faithful).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a\u{1b}[31mred.yaml"), VALID).unwrap();
    let output = run_over(dir.path(), &server).await;
    assert_eq!(output.code, 2, "{}", output.stderr);
    let said = "`a\\u{1b}[31mred`: a case's name (its id) may hold no control character";
    assert!(output.stderr.contains(said), "{}", output.stderr);
    assert!(!output.stderr.contains('\u{1b}') && !output.stdout.contains('\u{1b}'));
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}
