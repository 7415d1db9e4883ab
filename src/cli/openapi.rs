//! `sms-conformance openapi [--output FILE | --check FILE]`: the contract as an OpenAPI 3.1
//! document, printed, written, or compared with a committed copy.

use std::process::ExitCode;

use super::args::OpenapiArgs;
use super::error::Error;
use super::{load_suite, write_file};
use crate::mock::Fixture;
use crate::openapi;

/// `sms-conformance openapi`.
pub(super) fn openapi(args: &OpenapiArgs) -> Result<ExitCode, Error> {
    let suite = load_suite(&args.suite, &|_| true)?;
    let (contract, cases) = (suite.contract, suite.cases);
    let fixture = match &args.fixture {
        Some(file) => Fixture::load(file)?,
        None => Fixture::builtin(),
    };
    let text = openapi::generate(&contract, &cases, &fixture);
    if let Some(file) = &args.check {
        // Read no further than the document's length past its own: a longer copy is out of
        // date already (`/dev/zero` would be read until the memory ran out).
        let cap = 2 * text.len() as u64;
        let committed = match crate::file::read_capped(file, cap) {
            Ok(committed) => Some(committed),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(Error::Read {
                    path: file.clone(),
                    source,
                });
            }
        };
        let shown = file.display();
        let Some(committed) = committed else {
            println!("{shown}: missing: run `sms-conformance openapi --output {shown}`");
            return Ok(ExitCode::FAILURE);
        };
        if committed.as_deref() == Some(text.as_bytes()) {
            println!("{shown} is up to date with the contract");
            return Ok(ExitCode::SUCCESS);
        }
        let why = match committed {
            Some(committed) => format!(
                "first difference at line {}",
                first_different_line(&String::from_utf8_lossy(&committed), &text)
            ),
            None => "it is longer than the document".to_owned(),
        };
        println!(
            "{shown}: out of date with the contract ({why}): run `sms-conformance openapi --output {shown}`"
        );
        return Ok(ExitCode::FAILURE);
    }
    match &args.output {
        Some(file) => {
            write_file(file, text.as_bytes())?;
            eprintln!("wrote {}", file.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The 1-based number of the first line where `a` and `b` differ.
fn first_different_line(a: &str, b: &str) -> usize {
    let mut lines = a.lines().zip(b.lines());
    1 + lines.position(|(x, y)| x != y).unwrap_or_else(|| {
        // One is the other with lines added or removed at its end.
        a.lines().count().min(b.lines().count())
    })
}

#[cfg(test)]
mod tests {
    use super::first_different_line;

    #[test]
    fn the_first_different_line_is_counted_from_one() {
        assert_eq!(first_different_line("a\nb\nc\n", "a\nx\nc\n"), 2);
        assert_eq!(first_different_line("a\nb\n", "a\nb\nc\n"), 3);
        assert_eq!(first_different_line("a\n", "b\n"), 1);
    }
}
