//! The quick reader against the full one: wherever the quick reader answers, on the tests'
//! YAML files, on tricky scalars in every place a scalar goes, and on thousands of mutations
//! of those files, the full reader must read the same value (and the same case, and the same
//! manifest).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::model::CaseFile;
use crate::dice::{self, Dice};
use crate::yaml::{self, quick};

/// What the full reader makes of `text`, as the loader calls it.
fn full(text: &str) -> Option<Value> {
    full_typed(text).ok()
}

/// The quick reader answers only what the full reader reads, and as it reads it: as JSON,
/// as a case file and as a manifest. Returns whether the quick reader answered.
fn agree(text: &str) -> bool {
    let Some(tree) = quick::parse(text) else {
        return false;
    };
    let quick = quick::read::<Value>(&tree).expect("any tree makes JSON");
    assert_eq!(
        full(text).as_ref(),
        Some(&quick),
        "the quick reader read {text:?} otherwise"
    );
    crate::contract::same_read_quickly(&tree, text);
    if let Some(case) = quick::read::<CaseFile>(&tree) {
        let slow: CaseFile = yaml::parse(Path::new("x.yaml"), text.as_bytes())
            .unwrap_or_else(|e| panic!("the full reader refused {text:?}: {e}"));
        assert_eq!(
            serde_json::to_value(&case).ok(),
            serde_json::to_value(&slow).ok(),
            "the quick reader read the case {text:?} otherwise"
        );
    }
    true
}

/// `text` as JSON, when the quick reader reads it.
fn quick_json(text: &str) -> Option<Value> {
    quick::read(&quick::parse(text)?)
}

/// Every YAML file under `tests/` that is text.
fn corpus() -> Vec<(PathBuf, String)> {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let out: Vec<_> = yaml::files_under(&tests)
        .expect("the tests' files are regular files")
        .into_iter()
        .filter_map(|path| Some((path.clone(), std::fs::read_to_string(path).ok()?)))
        .collect();
    assert!(out.len() > 50, "the tests' YAML files were not found");
    out
}

#[test]
fn reads_the_subset_as_yaml_does() {
    let cases = [
        ("a: 1\nb: -2\nc: 0\n", json!({"a": 1, "b": -2, "c": 0})),
        (
            "a: ~\nb: null\nc:\nd: true\ne: false\n",
            json!({"a": null, "b": null, "c": null, "d": true, "e": false}),
        ),
        ("a: ${x} and {y}, [z]\n", json!({"a": "${x} and {y}, [z]"})),
        ("a: b # c\nd: e#f\n", json!({"a": "b", "d": "e#f"})),
        (
            "a: 'it''s'\nb: \"q\\\"\\n\\u00e9\\/\\\\\"\n",
            json!({"a": "it's", "b": "q\"\n\u{e9}/\\"}),
        ),
        (
            "a:\n- 1\n- x: 2\n  v: [3, {z: w}]\nb: {}\n",
            json!({"a": [1, {"x": 2, "v": [3, {"z": "w"}]}], "b": {}}),
        ),
        (
            "a:\n  - |\n    one\n      two\n\n    three\n  - |-\n    four\nb: x\n",
            json!({"a": ["one\n  two\n\nthree\n", "four"], "b": "x"}),
        ),
        (
            "/a/b: {equals: \"x\"}\n\"q: r\": s\n",
            json!({"/a/b": {"equals": "x"}, "q: r": "s"}),
        ),
        (
            "a: >-\n  one: two\n  # three\nb:\n  - >\n    four\n    five\n\n  - x\n",
            json!({"a": "one: two # three", "b": ["four five\n", "x"]}),
        ),
        (
            "a: 400 APIGW.0201, the \"x\" one\nb: {c: 401 d \"e\"}\n",
            json!({"a": "400 APIGW.0201, the \"x\" one", "b": {"c": "401 d \"e\""}}),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(quick_json(text), Some(expected), "{text:?}");
        assert!(agree(text));
    }
}

#[test]
fn leaves_to_the_full_reader_what_it_might_read_otherwise() {
    for text in [
        "a: yes\n",
        "a: No\n",
        "a: TRUE\n",
        "a: Null\n",
        "a: 017\n",
        "a: 1_000\n",
        "a: 0x1F\n",
        "a: 1.5\n",
        "a: .inf\n",
        "a: nan\n",
        "a: -0\n",
        "a: +1\n",
        "a: &x b\n",
        "a: *x\n",
        "a: !!str 1\n",
        "<<: {a: 1}\n",
        "a: 1\na: 2\n",
        "a: {b: 1, b: 2}\n",
        "a: >\n  b\n\n  c\nd: e\n",
        "a: >\n\n  b\nc: d\n",
        "a: >\n  b\n    c\n  d\ne: f\n",
        "a: >\n    b\n  c\nd: e\n",
        "a: >\n  b \n  c\nd: e\n",
        "a: >+\n  b\nc: d\n",
        "a: >2\n  b\nc: d\n",
        "a: > # c\n  b\nd: e\n",
        "a: >\n  b\n",
        "a: b\n  c\nd: e\n",
        "a: 'b\n  c'\n",
        "a:\tb\n",
        "a: b\r\n",
        "\u{feff}a: b\n",
        "---\na: b\n",
        "a: b\n---\nc: d\n",
        "- a\n",
        "a: [b,\n  c]\n",
        "a: |\n  b\n",
        "? a\n: b\n",
        "a: \"\\x41\"\n",
        "a: \"\\ud83d\"\n",
        "a: b: c\n",
        "1: a\n",
        "true: a\n",
        "__serde_saphyr_private_spanned: a\n",
        "a: [b: c]\n",
    ] {
        assert!(quick::parse(text).is_none(), "{text:?}");
    }
}

#[test]
fn reads_a_struct_from_a_mapping_only() {
    // serde_json would take these structs from lists of their fields; serde-saphyr refuses.
    for text in [
        "request:\n  task_id: x\nexpect:\n  status: 200\n  body:\n    /a: [~, null]\n",
        "request: [GET, /v3/x, t]\nexpect: {status: 200}\n",
        "request: {task_id: t}\nexpect: [[200]]\n",
    ] {
        let value = quick::parse(text).expect("plain YAML");
        assert!(quick::read::<CaseFile>(&value).is_none(), "{text:?}");
        assert!(yaml::parse::<CaseFile>(Path::new("x.yaml"), text.as_bytes()).is_err());
    }
}

/// A key's colon is looked for within 1,024 characters of its start by the full reader: a
/// key written longer (quotes, escapes and spaces count) is left to it.
#[test]
fn agrees_on_keys_about_the_full_readers_reach() {
    for n in [990, 998, 999, 1000, 1001, 1022, 1023, 1024, 1025, 1100] {
        let k = "k".repeat(n);
        let escaped = "\\u0041".repeat(n / 6);
        let quoted = "''".repeat(n / 2);
        for text in [
            format!("{k}: 1\n"),
            format!("\"{k}\": 1\n"),
            format!("'{k}': 1\n"),
            format!("\"{escaped}\": 1\n"),
            format!("'{quoted}': 1\n"),
            format!("a:\n  \"{k}\": 1\n"),
            format!("a:\n- \"{k}\": 1\n"),
            format!("a: {{{k}: 1}}\n"),
            format!("a: {{{k} : 1}}\n"),
            format!("a: {{\"{k}\": 1}}\n"),
            format!("request: {{task_id: x, headers: {{X-{k}: a}}}}\nexpect: {{status: 200}}\n"),
        ] {
            agree(&text);
        }
    }
}

/// The reach counts characters, not bytes: a key of 600 two-byte letters (1,200 bytes) is
/// read quickly, and one of 1,100 is left to the full reader.
#[test]
fn counts_a_keys_reach_in_characters() {
    for (n, quickly) in [(600, true), (990, true), (1100, false)] {
        let k = "é".repeat(n);
        for text in [
            format!("\"{k}\": 1\n"),
            format!("a:\n  '{k}': 1\n"),
            format!("a: {{\"{k}\": 1}}\n"),
        ] {
            assert_eq!(agree(&text), quickly, "a key of {n} characters: {text:.20}");
        }
    }
}

/// The full reader's budget stops at 250,000 nodes; the quick reader leaves far fewer to it.
#[test]
fn leaves_a_file_of_very_many_values_to_the_full_reader() {
    let list = |n: usize| format!("a: [{}]\n", vec!["1"; n].join(","));
    assert!(quick::parse(&list(100_000)).is_none());
    assert!(quick::parse(&list(1_000)).is_some());
    assert!(agree(&list(1_000)));
}

/// A type that takes fewer items than a list holds (a tuple) is refused, as serde-saphyr
/// refuses it: no item is dropped unseen.
#[test]
fn refuses_a_list_longer_than_its_type() {
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Pair {
        a: (u8, u8),
    }
    let read = |text: &str| quick::read::<Pair>(&quick::parse(text).expect("plain YAML"));
    assert_eq!(read("a: [1, 2]\n"), Some(Pair { a: (1, 2) }));
    assert_eq!(read("a: [1, 2, 3]\n"), None);
    assert!(full_typed::<Pair>("a: [1, 2, 3]\n").is_err());
}

/// A variant without data is read from its name, as the full reader reads it; every other
/// form of an enum is left to the full reader.
#[test]
fn agrees_on_variants_named_by_text() {
    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Side {
        Left,
        TaskId,
        Data(u8),
    }
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Sides {
        one: Side,
        #[serde(default)]
        by: std::collections::BTreeMap<Side, u8>,
    }
    let quick = |text: &str| quick::read::<Sides>(&quick::parse(text)?);
    for text in [
        "one: left\n",
        "one: 'task_id'\nby: {left: 1, task_id: 2}\n",
        "one: left\nby:\n  \"task_id\": 3\n",
    ] {
        assert_eq!(quick(text), full_typed::<Sides>(text).ok(), "{text:?}");
        assert!(quick(text).is_some(), "{text:?}");
    }
    for text in [
        "one: right\n",
        "one: Left\n",
        "one: data\n",
        "one: {data: 1}\n",
        "one: [left]\n",
        "one: ~\n",
        "one: 1\n",
        "one: left\nby: {right: 1}\n",
    ] {
        assert_eq!(quick(text), None, "{text:?}");
    }
}

/// The contract's ledger, with its folded blocks and the gateway's codes leading its texts,
/// takes the quick path, as the built-in fixture does: read in full, they were a tenth of
/// the suite's run.
#[test]
fn reads_the_ledger_and_the_fixture_quickly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "tests/data/contract/assumptions.yaml",
        "src/mock/default-fixture.yaml",
    ] {
        let text = std::fs::read_to_string(root.join(file)).expect("a file of the repository");
        assert!(agree(&text), "{file} was left to the full reader");
    }
    let ledger = "tests/data/contract/assumptions.yaml";
    let text = std::fs::read_to_string(root.join(ledger)).expect("the ledger");
    type Assumptions = std::collections::BTreeMap<String, crate::contract::Assumption>;
    let quick: Assumptions = quick_typed(&text).expect("the ledger read quickly");
    assert_eq!(Some(quick), full_typed::<Assumptions>(&text).ok());
}

/// `text` read by the quick reader as a `T`.
fn quick_typed<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    quick::read(&quick::parse(text)?)
}

/// What the full reader makes of `text` as a `T`.
fn full_typed<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, yaml::FileError> {
    yaml::parse(Path::new("x.yaml"), text.as_bytes())
}

#[test]
fn agrees_on_every_test_file() {
    let corpus = corpus();
    let read = corpus.iter().filter(|(_, text)| agree(text)).count();
    // The quick path is the run's path: most plain files must take it.
    let cases: Vec<_> = corpus
        .iter()
        .filter(|(path, _)| path.components().any(|c| c.as_os_str() == "data"))
        .collect();
    let quick_cases = cases
        .iter()
        .filter(|(_, text)| quick::parse(text).is_some())
        .count();
    assert!(
        quick_cases * 10 >= cases.len() * 9,
        "the quick reader read only {quick_cases} of the {} test case files",
        cases.len()
    );
    assert!(read > 0);
}

/// Scalars that YAML readers are known to read in more than one way, or not at all.
const TRICKY: &[&str] = &[
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "N",
    "True",
    "FALSE",
    "Null",
    "NULL",
    "~",
    "null",
    "true",
    "false",
    "0",
    "-0",
    "00",
    "017",
    "0o17",
    "0x1F",
    "1_000",
    "+1",
    "-1",
    "1.5",
    ".5",
    "1e3",
    ".inf",
    "-.inf",
    ".NaN",
    "nan",
    "inf",
    "Infinity",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "123456789012345678",
    "2001-12-14",
    "1:20",
    "<<",
    "=",
    "&a x",
    "*a",
    "!!str 1",
    "!x y",
    "? a",
    "- a",
    "-a",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "'a''b'",
    "'a'b'",
    "\"a\\\"b\"",
    "\"\\u00e9\"",
    "\"\\x41\"",
    "\"\\/\"",
    "\"\\ud83d\"",
    "\"\\u0000\"",
    "\"\\u0085\"",
    "[a, b]",
    "[a,b]",
    "{a: 1}",
    "{a:1}",
    "[]",
    "{}",
    "[a, ]",
    "{a}",
    "|",
    "|-",
    "|+",
    ">",
    ">-",
    "\"\"",
    "''",
    "%x",
    "@x",
    "`x",
    "$x",
    "${task_id}",
    "/a/b",
    "_x",
    "é",
    "ク",
    "a b",
    "a  b",
    "x,y",
    "[a, [b, {c: d}]]",
    "{a: [1, 2], b: {c: ~}}",
    "\"a\" #c",
    "'a' #c",
    "a # c",
    "4xx",
    "5b0c8a3e",
    "00000000-0000-0000-0000-000000000000",
    "1e-5",
    "1E5",
    "0X1F",
    "0B11",
    "0O17",
    "0b2",
    "1_0",
    "12:30",
    "1-e5",
    "4 apples",
    "0xg",
    "1.2.3",
    "1e",
    "1e+",
    "1.",
    "9e999",
    "1x",
    "\"a\\\\b\"",
    "\"\\t\\r\\n\"",
    "\"a\"b",
    "{\"a\": 1}",
    "{a: 1, a: 2}",
    "[a: b]",
    "{? a}",
    "[~, null]",
    "{a: }",
    "a\u{2028}b",
    "a\u{85}b",
    "[\"a\", 'b''c']",
    "{\"a\":1}",
    "[a]x",
    "GET",
    "X-Auth-Token",
    "400 APIGW.0201, the header",
    "401 APIGW.0301 \"decrypt token fail\"",
    "2001-12-14 21:59:43.10 -5",
    "1 2",
    "0x1F x",
    "1e3 x",
    "12 :30",
    "1 - 2",
    "4 ク",
];

#[test]
fn agrees_on_tricky_scalars_wherever_they_go() {
    let places = [
        "key: {}\nother: 1\n",
        "key:\n  - {}\n  - b\n",
        "key: [{}]\n",
        "key: [a, {}]\n",
        "key: {{k: {}}}\n",
        "{}: v\n",
        "key:\n  {}: v\n",
        "list:\n- k: {}\n  j: 2\n",
        "k: |\n  {}\nj: 1\n",
        "k: >-\n  {}\n  and {}\nj: 1\n",
        "k:\n- >\n  {}\n- 1\n",
    ];
    let mut read = 0;
    for place in places {
        for scalar in TRICKY {
            read += usize::from(agree(&place.replace("{}", scalar)));
        }
    }
    assert!(read > 100, "only {read} were read quickly");
}

/// `text` changed in one to three places: a token replaced by a tricky scalar, a character
/// inserted or removed, a line re-indented, doubled or moved.
fn mutate(text: &str, dice: &mut Dice) -> String {
    const INSERTS: &[char] = &[
        ' ', '\n', '-', ':', '#', '"', '\'', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>',
        '\t', '\r', '%', '@', '~', '0', '1', 'a', '\\', '\u{feff}', '\u{85}', 'é', '?',
    ];
    let mut text = text.to_owned();
    for _ in 0..=dice.below(3) {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        if chars.is_empty() {
            break;
        }
        let (at, c) = chars[dice.below(chars.len())];
        match dice.below(7) {
            0 | 1 => {
                let end = text[at..].find([' ', '\n']).map_or(text.len(), |n| at + n);
                let start = text[..at].rfind([' ', '\n']).map_or(0, |n| n + 1);
                text.replace_range(start..end.max(start), TRICKY[dice.below(TRICKY.len())]);
            }
            2 => text.insert(at, INSERTS[dice.below(INSERTS.len())]),
            3 => {
                text.replace_range(at..at + c.len_utf8(), "");
            }
            _ => {
                let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
                let line = dice.below(lines.len());
                match dice.below(4) {
                    0 => lines[line].insert_str(0, "  "),
                    1 => lines[line] = lines[line].trim_start_matches(' ').to_owned(),
                    2 => {
                        let copy = lines[line].clone();
                        lines.insert(line, copy);
                    }
                    _ => {
                        let moved = lines.remove(line);
                        let to = dice.below(lines.len() + 1);
                        lines.insert(to, moved);
                    }
                }
                text = lines.join("\n");
            }
        }
    }
    text
}

#[test]
fn agrees_on_mutations_of_the_test_files() {
    let per_file = dice::mutants("QUICK_YAML_MUTANTS", 40);
    let (mut read, mut left) = (0, 0);
    for (index, (path, text)) in corpus().iter().enumerate() {
        for round in 0..per_file {
            let mut dice = Dice::nth((index as u64) << 32 | round as u64);
            let seed = dice.0;
            let mutant = mutate(text, &mut dice);
            let answered = std::panic::catch_unwind(|| agree(&mutant)).unwrap_or_else(|_| {
                panic!("{} mutated with seed {seed}: {mutant:?}", path.display())
            });
            if answered {
                read += 1;
            } else {
                left += 1;
            }
        }
    }
    // Both paths are taken: the mutations reach the subset's edges from both sides.
    eprintln!("mutants: read {read}, left {left}");
    assert!(read > 0 && left > 0, "read {read}, left {left}");
}

/// `Spanned` over a list reads as in full in every shape a file could give it: empty,
/// nested, optional, a tuple of the list's length; a tuple of another length, and a list
/// under any other newtype, are the full reader's.
#[test]
fn reads_located_lists_as_in_full() {
    use serde_saphyr::Spanned;
    use std::collections::BTreeMap;
    use std::fmt::Debug;

    /// `text` read as a map of `Spanned<T>` by both readers, compared as `plain` makes each
    /// value: without where the readers place it.
    fn same<T: serde::de::DeserializeOwned, P: PartialEq + Debug>(text: &str, plain: fn(T) -> P) {
        let quick: BTreeMap<String, Spanned<T>> =
            quick_typed(text).unwrap_or_else(|| panic!("{text:?} left to the full reader"));
        let full: BTreeMap<String, Spanned<T>> =
            full_typed(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        let plain = |read: BTreeMap<String, Spanned<T>>| -> Vec<(String, P)> {
            read.into_iter()
                .map(|(key, v)| (key, plain(v.value)))
                .collect()
        };
        assert_eq!(plain(quick), plain(full), "{text:?}");
    }
    fn names(list: Vec<Spanned<String>>) -> Vec<String> {
        list.into_iter().map(|name| name.value).collect()
    }
    for text in ["a: []\n", "a: [one, two]\n", "a:\n  - one\n  - two\n"] {
        same(text, names);
    }
    same("a: [[1, 2], []]\n", |lists: Vec<Spanned<Vec<u16>>>| {
        lists.into_iter().map(|list| list.value).collect::<Vec<_>>()
    });
    same("a: [1]\n", |list: Option<Vec<u16>>| list);
    same("a: ~\n", |list: Option<Vec<u16>>| list);
    same("a: [1, 2]\n", |pair: (u16, u16)| pair);
    type Pairs = BTreeMap<String, Spanned<(u16, u16)>>;
    for text in ["a: [1]\n", "a: [1, 2, 3]\n"] {
        assert!(
            quick_typed::<Pairs>(text).is_none(),
            "{text:?} read quickly"
        );
        assert!(full_typed::<Pairs>(text).is_err(), "{text:?}");
    }
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Other(Vec<u16>);
    assert!(quick_typed::<BTreeMap<String, Other>>("a: [1]\n").is_none());
    let full: BTreeMap<String, Other> = full_typed("a: [1]\n").expect("a newtype of a list");
    assert_eq!(full["a"], Other(vec![1]));
}
