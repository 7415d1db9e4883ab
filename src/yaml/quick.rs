//! A quick reader for the plain YAML the suite's files are written in, which reading YAML in
//! full made most of a run's cost: block mappings and lists, one-line flow collections, plain
//! and quoted scalars on one line, `|` blocks, and `>` blocks of lines alike indented. It
//! answers `None` for anything outside that subset (anchors, tags, multi-line flow or plain
//! scalars, duplicate keys, tabs, words that YAML 1.1 or a number reading could take
//! otherwise...), and the full reader then reads the file, with its located errors. Where it
//! answers, it answers what the full reader reads: `src/case/differential.rs` compares the
//! two on the tests' files and on mutations of them.

use serde::de::value::{MapDeserializer, SeqDeserializer, StrDeserializer};
use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, Visitor};
use std::borrow::Cow;

/// The deepest nesting read here; deeper files go to the full reader and its budget.
const MAX_DEPTH: usize = 48;

/// The longest key read here, as written from its first character to its colon (quotes,
/// escapes and spaces included): the full reader looks no further than 1,024 for a key's
/// colon.
const MAX_KEY: usize = 1000;

/// The most values (scalars, lists and mappings) and keys a file may have here: the full
/// reader's budget stops at 250,000 nodes.
const MAX_NODES: usize = 100_000;

/// Serde-saphyr's marker for its own located values: a key so named would be read as one.
const SPANNED_MARKER: &str = "__serde_saphyr_private_spanned";

/// The name serde-saphyr's `Spanned` asks for itself by.
const SPANNED_NEWTYPE: &str = "__yaml_spanned";

/// The most keys a mapping may have here: duplicates are looked for one by one.
const MAX_KEYS: usize = 256;

/// A value as read here; its text is borrowed from the file where it is written as it reads.
#[derive(Debug)]
pub enum Tree<'a> {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A decimal integer.
    Int(i64),
    /// A string.
    Text(Cow<'a, str>),
    /// A list.
    List(Vec<Tree<'a>>),
    /// A mapping, in the file's order, its keys distinct.
    Map(Vec<(Cow<'a, str>, Tree<'a>)>),
}

/// `text` read, or `None` when it is not in the subset read here (or not valid YAML).
pub fn parse(text: &str) -> Option<Tree<'_>> {
    if !plain_characters(text) {
        return None;
    }
    // The lines as `split('\n')` gives them, found with memchr's iterator: the char
    // searcher sets up a search for each line. Counted first, so that the list is made once.
    let bytes = text.as_bytes();
    let mut lines = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes).chain([text.len()]) {
        let line = &text[start..end];
        start = end + 1;
        let content = unspaced_start(line);
        lines.push((line.len() - content.len(), content));
    }
    let mut reader = Reader {
        lines,
        at: 0,
        depth: 0,
    };
    reader.skip();
    let (indent, first) = reader.peek()?;
    if indent != 0 || item(first) {
        return None;
    }
    let value = reader.mapping(0)?;
    reader.skip();
    (reader.peek().is_none() && nodes(&value) <= MAX_NODES).then_some(value)
}

/// No tab, carriage return or other control character, no byte-order mark, and none of the
/// characters YAML 1.1 reads as line breaks: the subset has one kind of white space and one
/// kind of line break.
fn plain_characters(text: &str) -> bool {
    // Most files are printable ASCII and line breaks: looked at a byte at a time, without
    // stopping early, they are checked several characters an instruction.
    let ascii = text.bytes().fold(true, |plain, b| {
        plain & (matches!(b, b' '..=b'~') | (b == b'\n'))
    });
    ascii
        || !text.chars().any(|c| {
            (c < ' ' && c != '\n')
                || matches!(
                    c,
                    '\u{7f}'
                        ..='\u{9f}'
                            | '\u{2028}'
                            | '\u{2029}'
                            | '\u{feff}'
                            | '\u{fffe}'
                            | '\u{ffff}'
                )
        })
}

/// A `T` read from what [`parse`] gave, or `None` where serde-saphyr might read it otherwise.
/// serde_json's own deserializer would not do: it reads a struct from a list of its fields,
/// which serde-saphyr refuses. Every refusal here is left to the full reader to explain.
pub fn read<T: DeserializeOwned>(tree: &Tree<'_>) -> Option<T> {
    T::deserialize(Node(tree)).ok()
}

/// A value being read; its error says only that the full reader must read the file.
struct Node<'t, 'a>(&'t Tree<'a>);

/// The full reader's turn: it says what is wrong, and where.
#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("left to the full reader")
    }
}

impl std::error::Error for Refused {}

impl de::Error for Refused {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Refused
    }
}

impl<'de> IntoDeserializer<'de, Refused> for Node<'_, '_> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for Node<'_, '_> {
    type Error = Refused;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.0 {
            Tree::Null => visitor.visit_unit(),
            Tree::Bool(b) => visitor.visit_bool(*b),
            // As serde-saphyr gives them: unsigned unless negative.
            Tree::Int(n) => match u64::try_from(*n) {
                Ok(n) => visitor.visit_u64(n),
                Err(_) => visitor.visit_i64(*n),
            },
            Tree::Text(text) => visitor.visit_str(text),
            // A visitor that takes fewer items than there are (a tuple) is refused, as
            // serde-saphyr refuses it.
            Tree::List(items) => {
                let mut items = SeqDeserializer::new(items.iter().map(Node));
                let value = visitor.visit_seq(&mut items)?;
                items.end()?;
                Ok(value)
            }
            Tree::Map(entries) => {
                let mut entries = MapDeserializer::new(
                    entries
                        .iter()
                        .map(|(key, value)| (key.as_ref(), Node(value))),
                );
                let value = visitor.visit_map(&mut entries)?;
                entries.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.0 {
            Tree::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    /// serde-saphyr's `Spanned` is a newtype that reads a list through serde's own sequence
    /// reader, which would take a struct from a list: a list is given to it in its located
    /// form instead, so that the value is read here (the manifest's lists are `Spanned`).
    /// Any other newtype of a list is the full reader's.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        match self.0 {
            Tree::List(_) if name == SPANNED_NEWTYPE => visitor.visit_newtype_struct(Located(self)),
            Tree::List(_) => Err(Refused),
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        match self.0 {
            Tree::Map(_) => self.deserialize_any(visitor),
            _ => Err(Refused),
        }
    }

    /// A variant without data, named by text; any other form is the full reader's.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        match self.0 {
            Tree::Text(text) => visitor.visit_enum(StrDeserializer::<Refused>::new(text)),
            _ => Err(Refused),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// A value in serde-saphyr's located form: its marker, the value, and where it was
/// referenced and defined (unknown here: an error is located by the full reader). The form
/// and the names are serde-saphyr's own (2.2): should they change, `Spanned` refuses this,
/// and the full reader reads the file, slower but the same.
struct Located<'t, 'a>(Node<'t, 'a>);

impl<'de> Deserializer<'de> for Located<'_, '_> {
    type Error = Refused;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        visitor.visit_map(LocatedFields {
            value: self.0,
            next: 0,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// The fields of a [`Located`] value, in serde-saphyr's order.
struct LocatedFields<'t, 'a> {
    value: Node<'t, 'a>,
    next: usize,
}

impl<'de> de::MapAccess<'de> for LocatedFields<'_, '_> {
    type Error = Refused;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Refused> {
        let Some(key) = [SPANNED_MARKER, "value", "referenced", "defined"].get(self.next) else {
            return Ok(None);
        };
        seed.deserialize(StrDeserializer::<Refused>::new(key))
            .map(Some)
    }

    fn next_value_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, Refused> {
        self.next += 1;
        match self.next {
            1 => seed.deserialize(true.into_deserializer()),
            2 => seed.deserialize(Node(self.value.0)),
            3 | 4 => seed.deserialize(MapDeserializer::new(
                [("line", 0u32), ("column", 0u32)].into_iter(),
            )),
            _ => Err(Refused),
        }
    }
}

/// How many values and keys `tree` holds, itself included.
fn nodes(tree: &Tree<'_>) -> usize {
    match tree {
        Tree::List(items) => 1 + items.iter().map(nodes).sum::<usize>(),
        Tree::Map(entries) => {
            1 + entries
                .iter()
                .map(|(_, value)| 1 + nodes(value))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// `text` without its leading spaces. A loop over bytes: `trim_start_matches` goes through
/// the pattern machinery a character at a time, for each of a file's many short texts.
fn unspaced_start(text: &str) -> &str {
    let spaces = text.bytes().take_while(|&b| b == b' ').count();
    &text[spaces..]
}

/// `text` without its trailing spaces, as [`unspaced_start`] does at its start.
fn unspaced_end(text: &str) -> &str {
    let spaces = text.bytes().rev().take_while(|&b| b == b' ').count();
    &text[..text.len() - spaces]
}

/// Whether a line's content starts a block list item.
fn item(content: &str) -> bool {
    matches!(content.as_bytes(), [b'-'] | [b'-', b' ', ..])
}

/// Blank or a comment: no content.
fn empty(content: &str) -> bool {
    content.is_empty() || starts(content, b'#')
}

/// Whether `text` starts with the ASCII `byte`. A `char` pattern is encoded and compared
/// by a call to `memcmp`, for each of a file's many short texts.
fn starts(text: &str, byte: u8) -> bool {
    text.as_bytes().first() == Some(&byte)
}

/// Whether `text` ends with the ASCII `byte`, as [`starts`] looks at its start.
fn ends(text: &str, byte: u8) -> bool {
    text.as_bytes().last() == Some(&byte)
}

/// `text` after the ASCII `byte` it starts with, if it does.
fn after(text: &str, byte: u8) -> Option<&str> {
    starts(text, byte).then(|| &text[1..])
}

/// Whether `text` starts with a quote, single or double.
fn quote_first(text: &str) -> bool {
    matches!(text.as_bytes().first(), Some(b'"' | b'\''))
}

struct Reader<'a> {
    /// Each line's indentation (spaces) and what follows it.
    lines: Vec<(usize, &'a str)>,
    /// The next line to read.
    at: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<(usize, &'a str)> {
        self.lines.get(self.at).copied()
    }

    /// Past blank and comment lines.
    fn skip(&mut self) {
        while self.peek().is_some_and(|(_, content)| empty(content)) {
            self.at += 1;
        }
    }

    fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A block mapping whose keys are at `indent`, from the current line.
    fn mapping(&mut self, indent: usize) -> Option<Tree<'a>> {
        self.deeper()?;
        let mut entries = Vec::new();
        loop {
            self.skip();
            let Some((at, content)) = self.peek() else {
                break;
            };
            if at < indent {
                break;
            }
            if at > indent || item(content) {
                return None;
            }
            let (key, rest) = block_key(content)?;
            let value = if empty(rest) {
                self.at += 1;
                self.nested(indent, true)?
            } else {
                self.inline(rest, indent)?
            };
            insert(&mut entries, key, value)?;
        }
        self.depth -= 1;
        Some(Tree::Map(entries))
    }

    /// A block list whose dashes are at `indent`, from the current line.
    fn list(&mut self, indent: usize) -> Option<Tree<'a>> {
        self.deeper()?;
        let mut items = Vec::new();
        loop {
            self.skip();
            let Some((at, content)) = self.peek() else {
                break;
            };
            if at < indent || (at == indent && !item(content)) {
                break;
            }
            if at > indent {
                return None;
            }
            let dashed = &content[1..];
            let rest = unspaced_start(dashed);
            let value = if empty(rest) {
                self.at += 1;
                self.nested(indent, false)?
            } else if item(rest) {
                // A list in a list on one line: the full reader's.
                return None;
            } else {
                // What follows the dash is read as if it were a line of its own.
                let column = indent + 1 + (dashed.len() - rest.len());
                self.lines[self.at] = (column, rest);
                if block_key(rest).is_some() {
                    self.mapping(column)?
                } else {
                    self.inline(rest, indent)?
                }
            };
            items.push(value);
        }
        self.depth -= 1;
        Some(Tree::List(items))
    }

    /// The value of a key (at `parent`) or list item whose own line holds nothing more: a
    /// block on the lines below, or null. A mapping's key may have its list at its own
    /// indentation.
    fn nested(&mut self, parent: usize, key: bool) -> Option<Tree<'a>> {
        self.skip();
        match self.peek() {
            Some((at, content)) if at > parent => {
                if item(content) {
                    self.list(at)
                } else {
                    self.mapping(at)
                }
            }
            Some((at, content)) if key && at == parent && item(content) => self.list(at),
            _ => Some(Tree::Null),
        }
    }

    /// A value that starts on the current line after a key or dash at `parent`; the lines
    /// below must not continue it.
    fn inline(&mut self, text: &'a str, parent: usize) -> Option<Tree<'a>> {
        let value = match text.as_bytes()[0] {
            b'|' | b'>' => return self.block(text, parent),
            b'"' | b'\'' => {
                let (value, rest) = quoted(text)?;
                end_of_line(rest)?;
                Tree::Text(value)
            }
            b'[' | b'{' => {
                let (value, rest) = flow(text, self.depth)?;
                end_of_line(rest)?;
                value
            }
            _ => {
                let scalar = unspaced_end(match pair_at(text, b" #") {
                    Some(comment) => &text[..comment],
                    None => text,
                });
                if pair_at(scalar, b": ").is_some() || ends(scalar, b':') {
                    return None;
                }
                plain(scalar)?
            }
        };
        self.at += 1;
        self.skip();
        match self.peek() {
            Some((at, _)) if at > parent => None,
            _ => Some(value),
        }
    }

    /// A block under a key or dash at `parent`: literal (`|`, `|-`), its lines as written
    /// less their common indentation; or folded (`>`, `>-`), its lines joined by spaces,
    /// when they are alike indented, none blank and none ending in a space.
    fn block(&mut self, header: &str, parent: usize) -> Option<Tree<'a>> {
        let (folded, strip) = match header {
            "|" => (false, false),
            "|-" => (false, true),
            ">" => (true, false),
            ">-" => (true, true),
            _ => return None,
        };
        self.at += 1;
        let start = self.at;
        let mut indent = None;
        let mut end = start;
        while let Some(&(at, content)) = self.lines.get(end) {
            if content.is_empty() {
                // A line of spaces only, more than the block's: the full reader's.
                if indent.is_some_and(|indent| at > indent) {
                    return None;
                }
            } else if at > parent && indent.is_none_or(|indent| at >= indent) {
                indent.get_or_insert(at);
            } else {
                break;
            }
            end += 1;
        }
        let indent = indent?;
        // A block that runs to the end of the file keeps or drops its last line break by
        // whether the file has one; leading lines of spaces deeper than the block's first
        // line are an error: both the full reader's.
        if end == self.lines.len()
            || self.lines[start..end]
                .iter()
                .any(|(at, c)| c.is_empty() && *at > indent)
        {
            return None;
        }
        let mut lines: Vec<String> = self.lines[start..end]
            .iter()
            .map(|&(at, content)| {
                if content.is_empty() {
                    String::new()
                } else {
                    format!("{}{content}", " ".repeat(at - indent))
                }
            })
            .collect();
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        // Folding keeps the breaks around a blank or deeper line, and a line's own trailing
        // spaces: the full reader's.
        let unfoldable = |line: &String| line.is_empty() || starts(line, b' ') || ends(line, b' ');
        if folded && lines.iter().any(unfoldable) {
            return None;
        }
        let mut text = lines.join(if folded { " " } else { "\n" });
        if !strip {
            text.push('\n');
        }
        self.at = end;
        self.skip();
        match self.peek() {
            Some((at, _)) if at > parent => None,
            _ => Some(Tree::Text(Cow::Owned(text))),
        }
    }
}

/// Adds a key and its value to a mapping's, unless the key is there already or the mapping
/// has grown too large to look.
fn insert<'a>(
    entries: &mut Vec<(Cow<'a, str>, Tree<'a>)>,
    key: Cow<'a, str>,
    value: Tree<'a>,
) -> Option<()> {
    if entries.len() >= MAX_KEYS || entries.iter().any(|(known, _)| *known == key) {
        return None;
    }
    entries.push((key, value));
    Some(())
}

/// Nothing after a value but spaces and a comment.
fn end_of_line(rest: &str) -> Option<()> {
    let trimmed = unspaced_start(rest);
    (trimmed.is_empty() || (trimmed.len() < rest.len() && starts(trimmed, b'#'))).then_some(())
}

/// A block mapping's key and what follows its colon.
fn block_key(content: &str) -> Option<(Cow<'_, str>, &str)> {
    let (key, rest) = if quote_first(content) {
        let (key, rest) = quoted(content)?;
        (key, after(rest, b':')?)
    } else {
        let bytes = content.as_bytes();
        let colon = memchr::memchr_iter(b':', bytes)
            .find(|&at| bytes.get(at + 1).is_none_or(|&next| next == b' '))?;
        let key = &content[..colon];
        if pair_at(key, b" #").is_some() || ends(key, b' ') {
            return None;
        }
        (text_key(key)?, &content[colon + 1..])
    };
    let written = &content[..content.len() - rest.len()];
    if !(rest.is_empty() || starts(rest, b' ')) || too_long(written) || key == SPANNED_MARKER {
        return None;
    }
    Some((key, unspaced_start(rest)))
}

/// Where the two ASCII bytes `pair` first stand side by side in `text`, found with memchr
/// on the one that is not a space (the rarer): `str::find` would build a substring searcher
/// for each of the many short texts of a file.
fn pair_at(text: &str, pair: &[u8; 2]) -> Option<usize> {
    let bytes = text.as_bytes();
    if pair[0] == b' ' {
        memchr::memchr_iter(pair[1], bytes)
            .find(|&at| at > 0 && bytes[at - 1] == b' ')
            .map(|at| at - 1)
    } else {
        memchr::memchr_iter(pair[0], bytes).find(|&at| bytes.get(at + 1) == Some(&pair[1]))
    }
}

/// Whether a key, as written, takes more than [`MAX_KEY`] characters. A text has no more
/// characters than bytes, so they are counted only when there are more bytes than that.
fn too_long(written: &str) -> bool {
    written.len() > MAX_KEY && written.chars().count() > MAX_KEY
}

/// A plain key that is a string for every reader.
fn text_key(key: &str) -> Option<Cow<'_, str>> {
    match plain(key)? {
        Tree::Text(key) => Some(key),
        _ => None,
    }
}

/// A plain scalar read as YAML 1.2's core schema reads it, when no reader could read it
/// otherwise: `null`, `~`, `true`, `false`, a decimal integer without a leading zero, text
/// that starts with a digit and that no reading of numbers takes (none takes a space), or
/// text that starts with a letter, `/`, `_` or `$` and is none of the words YAML 1.1 or a
/// float reading takes.
fn plain(scalar: &str) -> Option<Tree<'_>> {
    match scalar {
        "" | "null" | "~" => return Some(Tree::Null),
        "true" => return Some(Tree::Bool(true)),
        "false" => return Some(Tree::Bool(false)),
        _ => {}
    }
    let digits = after(scalar, b'-').unwrap_or(scalar);
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        if digits.is_empty() || digits.len() > 18 || (starts(digits, b'0') && scalar != "0") {
            return None;
        }
        return scalar.parse().ok().map(Tree::Int);
    }
    let first = scalar.as_bytes()[0];
    if first.is_ascii_digit() {
        // `4xx`, a task id, a hexadecimal request id: text, when no number reading can take it.
        let word = scalar
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-'));
        let spaced = scalar.as_bytes().contains(&b' ');
        return (spaced || (word && !numeral(scalar))).then_some(Tree::Text(Cow::Borrowed(scalar)));
    }
    let word = first.is_ascii_alphabetic() || matches!(first, b'/' | b'_' | b'$');
    let special = scalar.len() <= LONGEST_SPECIAL
        && SPECIAL_WORDS
            .iter()
            .any(|special| scalar.eq_ignore_ascii_case(special));
    (word && !special).then_some(Tree::Text(Cow::Borrowed(scalar)))
}

/// The words that YAML 1.1 or a reading of floats takes as something other than text, in
/// any case.
const SPECIAL_WORDS: [&str; 12] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "infinity",
];

/// The longest of [`SPECIAL_WORDS`]: a longer scalar is none of them, without comparing.
const LONGEST_SPECIAL: usize = {
    let (mut at, mut longest) = (0, 0);
    while at < SPECIAL_WORDS.len() {
        if SPECIAL_WORDS[at].len() > longest {
            longest = SPECIAL_WORDS[at].len();
        }
        at += 1;
    }
    longest
};

/// Whether some reading of numbers could take `scalar`, which starts with a digit: a radix
/// prefix (`0x`, `0o`, `0b`, either case), or nothing but digits, `_`, `.`, `e` and signs
/// where an exponent's sign may be.
fn numeral(scalar: &str) -> bool {
    let bytes = scalar.as_bytes();
    if bytes.len() > 1
        && bytes[0] == b'0'
        && matches!(bytes[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
    {
        return true;
    }
    let numeric = bytes
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'e' | b'E' | b'+' | b'-'));
    let stray_sign = (1..bytes.len())
        .any(|at| matches!(bytes[at], b'+' | b'-') && !matches!(bytes[at - 1], b'e' | b'E'));
    numeric && !stray_sign
}

/// A quoted scalar on one line, and what follows its closing quote.
fn quoted(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let quote = text.as_bytes()[0];
    // Where the quote may end: a quote, or in double quotes an escape.
    let stops = |text: &str| match quote {
        b'"' => memchr::memchr2(b'"', b'\\', text.as_bytes()),
        _ => memchr::memchr(quote, text.as_bytes()),
    };
    let mut rest = &text[1..];
    let stop = stops(rest)?;
    let tail = &rest[stop + 1..];
    // Most quoted strings hold no escape: they are the file's text as it stands.
    if rest.as_bytes()[stop] == quote && !(quote == b'\'' && starts(tail, b'\'')) {
        return Some((Cow::Borrowed(&rest[..stop]), tail));
    }
    let mut value = String::new();
    loop {
        let stop = stops(rest)?;
        value.push_str(&rest[..stop]);
        let tail = &rest[stop + 1..];
        if quote == b'\'' {
            match after(tail, b'\'') {
                Some(tail) => {
                    value.push('\'');
                    rest = tail;
                }
                None => return Some((Cow::Owned(value), tail)),
            }
        } else if rest.as_bytes()[stop] == b'"' {
            return Some((Cow::Owned(value), tail));
        } else {
            let (c, tail) = escape(tail)?;
            value.push(c);
            rest = tail;
        }
    }
}

/// The character a double-quoted escape (after its `\`) stands for, and what follows it:
/// the common escapes only.
fn escape(text: &str) -> Option<(char, &str)> {
    let c = match text.as_bytes().first()? {
        b'\\' => '\\',
        b'"' => '"',
        b'/' => '/',
        b'n' => '\n',
        b't' => '\t',
        b'r' => '\r',
        b'u' => {
            let code = u32::from_str_radix(text.get(1..5)?, 16).ok()?;
            let c = char::from_u32(code)?;
            if !text[1..5].bytes().all(|b| b.is_ascii_hexdigit())
                || !plain_characters(c.encode_utf8(&mut [0; 4]))
            {
                return None;
            }
            return Some((c, &text[5..]));
        }
        _ => return None,
    };
    Some((c, &text[1..]))
}

/// A flow collection (`[a, b]`, `{a: 1}`) that ends on its line, and what follows it.
fn flow(text: &str, depth: usize) -> Option<(Tree<'_>, &str)> {
    if depth >= MAX_DEPTH {
        return None;
    }
    let close = if starts(text, b'[') { b']' } else { b'}' };
    let mut rest = unspaced_start(&text[1..]);
    let mut items = Vec::new();
    let mut entries = Vec::new();
    if let Some(closed) = after(rest, close) {
        rest = closed;
    } else {
        loop {
            if close == b'}' {
                let (key, next) = flow_scalar(rest)?;
                let Tree::Text(key) = key else {
                    return None;
                };
                let written = &rest[..rest.len() - next.len()];
                if too_long(written) {
                    return None;
                }
                let after_colon =
                    matches!(next.as_bytes(), [b':', b' ', ..]).then(|| &next[2..])?;
                let (value, next) = flow_value(unspaced_start(after_colon), depth)?;
                if key == SPANNED_MARKER {
                    return None;
                }
                insert(&mut entries, key, value)?;
                rest = next;
            } else {
                let (value, next) = flow_value(rest, depth)?;
                items.push(value);
                rest = next;
            }
            rest = unspaced_start(rest);
            if let Some(closed) = after(rest, close) {
                rest = closed;
                break;
            }
            rest = unspaced_start(after(rest, b',')?);
        }
    }
    let value = if close == b']' {
        Tree::List(items)
    } else {
        Tree::Map(entries)
    };
    Some((value, rest))
}

/// An entry of a flow collection: a collection or a scalar.
fn flow_value(text: &str, depth: usize) -> Option<(Tree<'_>, &str)> {
    if matches!(text.as_bytes().first(), Some(b'[' | b'{')) {
        flow(text, depth + 1)
    } else {
        flow_scalar(text)
    }
}

/// A quoted or plain scalar in a flow collection, and what follows it. A plain one ends at
/// `,`, `]`, `}`, or a `:` before a space or one of those, and may not hold `[`, `{` or `#`.
fn flow_scalar(text: &str) -> Option<(Tree<'_>, &str)> {
    if quote_first(text) {
        let (value, rest) = quoted(text)?;
        return Some((Tree::Text(value), rest));
    }
    // One pass to the scalar's end: every stop is ASCII, so a byte's place is a character
    // boundary. A `: ` is a stop, so the scalar holds none.
    let bytes = text.as_bytes();
    let mut end = bytes.len();
    for (at, &byte) in bytes.iter().enumerate() {
        let stop = match byte {
            b',' | b']' | b'}' => true,
            b':' => matches!(bytes.get(at + 1), Some(b' ' | b',' | b']' | b'}')),
            // A flow indicator or a `#` inside: the full reader's.
            b'[' | b'{' | b'#' => return None,
            _ => false,
        };
        if stop {
            end = at;
            break;
        }
    }
    let scalar = unspaced_end(&text[..end]);
    if scalar.is_empty() {
        return None;
    }
    Some((plain(scalar)?, &text[end..]))
}
