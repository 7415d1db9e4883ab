//! The contract's own tools: `generate` (boundary cases from the schemas) and `coverage`
//! (the cases that exercise each constraint).

use std::process::ExitCode;

use super::args::{GenerateArgs, SuiteArgs};
use super::error::Error;
use super::{load_suite, output};
use crate::contract::Contract;
use crate::{coverage, generate};

/// `sms-conformance generate [--check]`.
pub(super) fn generate(args: &GenerateArgs) -> Result<ExitCode, Error> {
    let contract = Contract::load(&args.suite.contract.schemas)?;
    let files = generate::generate(&contract);
    let cases = &args.suite.cases;
    if args.check {
        let differences = generate::differences(cases, &files).map_err(|source| Error::Read {
            path: cases.clone(),
            source,
        })?;
        if differences.is_empty() {
            output::print(&format!("{} generated cases are up to date\n", files.len()))?;
            return Ok(ExitCode::SUCCESS);
        }
        let mut text = String::new();
        for difference in &differences {
            text += &format!(
                "{}: {}\n",
                cases.join(&difference.path).display(),
                difference.kind
            );
        }
        text +=
            "generated cases are out of date with the schemas: run `sms-conformance generate`\n";
        output::print(&text)?;
        return Ok(ExitCode::FAILURE);
    }
    generate::write(cases, &files).map_err(|source| Error::Write {
        path: cases.clone(),
        source,
    })?;
    output::print(&format!(
        "wrote {} generated cases under {}\n",
        files.len(),
        cases.join(generate::GENERATED_DIR).display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `sms-conformance coverage`.
pub(super) fn coverage(args: &SuiteArgs) -> Result<ExitCode, Error> {
    let suite = load_suite(args, &|_| true)?;
    let report = coverage::Coverage::of(&suite.contract, &suite.cases);
    output::print(&report.to_string())?;
    Ok(if report.is_complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
