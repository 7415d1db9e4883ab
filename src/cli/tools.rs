//! The contract's own tools: `generate` (boundary cases from the schemas) and `coverage`
//! (the cases that exercise each constraint).

use std::process::ExitCode;

use super::args::{GenerateArgs, SuiteArgs};
use super::error::Error;
use super::load_suite;
use crate::contract::Contract;
use crate::{coverage, generate};

/// `sms-conformance generate [--check]`.
pub(super) fn generate(args: &GenerateArgs) -> Result<ExitCode, Error> {
    let contract = Contract::load(&args.suite.schemas)?;
    let files = generate::generate(&contract);
    let cases = &args.suite.cases;
    if args.check {
        let differences = generate::differences(cases, &files).map_err(|source| Error::Read {
            path: cases.clone(),
            source,
        })?;
        if differences.is_empty() {
            println!("{} generated cases are up to date", files.len());
            return Ok(ExitCode::SUCCESS);
        }
        for difference in &differences {
            println!(
                "{}: {}",
                cases.join(&difference.path).display(),
                difference.kind
            );
        }
        println!(
            "generated cases are out of date with the schemas: run `sms-conformance generate`"
        );
        return Ok(ExitCode::FAILURE);
    }
    generate::write(cases, &files).map_err(|source| Error::Write {
        path: cases.clone(),
        source,
    })?;
    println!(
        "wrote {} generated cases under {}",
        files.len(),
        cases.join(generate::GENERATED_DIR).display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `sms-conformance coverage`.
pub(super) fn coverage(args: &SuiteArgs) -> Result<ExitCode, Error> {
    let suite = load_suite(args, &|_| true)?;
    let report = coverage::Coverage::of(&suite.contract, &suite.cases);
    print!("{report}");
    Ok(if report.is_complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
