//! Hollow's schema text form: what Java's `HollowSchema.toString()` prints and `HollowSchemaParser` reads.
//!
//! ```text
//! Movie @PrimaryKey(id, studio.name) {
//!     int id;                  // inline kinds are lower case: int long float double boolean string bytes
//!     string title;
//!     Studio studio;           // any other word is a REFERENCE to the type of that name
//! }
//! ListOfString List<String>;
//! SetOfPerson Set<Person> @HashKey(name);
//! MapOfStringToLong Map<String,Long> @HashKey(value);
//! ```
//!
//! # Printing
//!
//! [`to_java_string`] reproduces Java's `toString()` character for character: one tab before each field,
//! `\n` line ends, no newline after the closing brace, `", "` between key paths, and no space after the comma
//! in `Map<K,V>`. It has to be exact because the `hollow.schema.hash` header tag ([`super::hash`]) is a hash
//! of this text.
//!
//! # Parsing
//!
//! [`parse_schemas`] accepts the language Java's parser accepts. Java tokenizes with `java.io.StreamTokenizer`,
//! configured by Hollow, and this module reproduces that tokenizer:
//!
//! * A *word* starts with an ASCII letter, `_` or any character from U+00A0 up, and continues with those,
//!   ASCII digits, `.` and `-`. A key path such as `address.city.value` is therefore one word.
//! * Every character up to U+0020 is whitespace. `// ...` and `/* ... */` are comments; a `/` that starts
//!   neither also comments out the rest of its line (and, quirk for quirk, the next line as well when the
//!   `/` ends a line), and an unterminated `/*` runs to the end of the text.
//! * Numbers (`1`, `-2.5`, `.`) and quoted strings (`"..."`, `'...'`) are tokens of their own. Any other
//!   character is a one-character token.
//!
//! Before each schema, Java skips every token that is not a word, so stray `;`, `}` or numbers *between*
//! schemas are ignored. This parser does the same. An empty `@PrimaryKey()` or `@HashKey()` means "no key",
//! as in Java, whose schema constructors turn an empty key into none.
//!
//! It departs from Java in two ways. Malformed text from which Java would silently build a broken schema
//! (a missing element type, a field whose name is not a word) is an [`Error::Schema`] here, with the line
//! and column of the offending token. And a key path may end in `!` (`@PrimaryKey(studio!)`, "do not
//! auto-expand", see [`super::paths`]): Java prints such paths but its parser rejects them; accepting them
//! keeps `parse(print(s)) == s`.
//!
//! That round trip holds for every schema whose type names, field names and key paths are words, whose
//! reference fields do not name a type called like an inline kind (`int`, `string`, ...), and whose keys
//! are not empty.

use std::fmt::Write as _;

use super::{FieldType, ListSchema, MapSchema, ObjectField, ObjectSchema, Schema, SetSchema};
use crate::error::{Error, Result};

/// The schema printed exactly as Java's `HollowSchema.toString()` prints it.
pub fn to_java_string(schema: &Schema) -> String {
    let mut out = String::new();
    match schema {
        Schema::Object(s) => {
            out.push_str(&s.name);
            write_key(&mut out, "PrimaryKey", s.primary_key.as_deref());
            out.push_str(" {\n");
            for field in &s.fields {
                out.push('\t');
                match inline_keyword(field.field_type) {
                    Some(keyword) => out.push_str(keyword),
                    // A REFERENCE field without a target cannot come from a blob or the parser; Java would
                    // print "null" for it.
                    None => out.push_str(field.referenced_type.as_deref().unwrap_or("null")),
                }
                let _ = writeln!(out, " {};", field.name);
            }
            out.push('}');
        }
        Schema::List(s) => {
            let _ = write!(out, "{} List<{}>;", s.name, s.element_type);
        }
        Schema::Set(s) => {
            let _ = write!(out, "{} Set<{}>", s.name, s.element_type);
            write_key(&mut out, "HashKey", s.hash_key.as_deref());
            out.push(';');
        }
        Schema::Map(s) => {
            let _ = write!(out, "{} Map<{},{}>", s.name, s.key_type, s.value_type);
            write_key(&mut out, "HashKey", s.hash_key.as_deref());
            out.push(';');
        }
    }
    out
}

fn write_key(out: &mut String, annotation: &str, paths: Option<&[String]>) {
    if let Some(paths) = paths {
        let _ = write!(out, " @{annotation}({})", paths.join(", "));
    }
}

/// The lower-case keyword of an inline field kind; `None` for REFERENCE, which prints its target type.
fn inline_keyword(field_type: FieldType) -> Option<&'static str> {
    Some(match field_type {
        FieldType::Reference => return None,
        FieldType::Int => "int",
        FieldType::Long => "long",
        FieldType::Boolean => "boolean",
        FieldType::Float => "float",
        FieldType::Double => "double",
        FieldType::String => "string",
        FieldType::Bytes => "bytes",
    })
}

fn inline_kind(keyword: &str) -> Option<FieldType> {
    Some(match keyword {
        "int" => FieldType::Int,
        "long" => FieldType::Long,
        "boolean" => FieldType::Boolean,
        "float" => FieldType::Float,
        "double" => FieldType::Double,
        "string" => FieldType::String,
        "bytes" => FieldType::Bytes,
        _ => return None,
    })
}

/// Parse every schema in `text`, in the order written.
///
/// # Errors
///
/// Errors are [`Error::Schema`] naming the line and column (both from 1) of the token that does not fit.
pub fn parse_schemas(text: &str) -> Result<Vec<Schema>> {
    Parser::new(text).parse_all()
}

/// Parse text that holds exactly one schema.
///
/// # Errors
///
/// As [`parse_schemas`], and [`Error::Schema`] when `text` holds no schema or more than
/// one.
pub fn parse_schema(text: &str) -> Result<Schema> {
    let mut schemas = parse_schemas(text)?;
    match schemas.len() {
        1 => Ok(schemas.pop().expect("one schema")),
        0 => Err(Error::Schema("no schema in text".into())),
        n => Err(Error::Schema(format!("expected one schema, found {n}"))),
    }
}

/// A token of Java's `StreamTokenizer` as Hollow configures it. Values the grammar never uses (the
/// value of a number, the contents of a quoted string) are not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'a> {
    Word(&'a str),
    Number,
    Quoted,
    Char(char),
    End,
}

impl Tok<'_> {
    fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("`{w}`"),
            Tok::Number => "a number".into(),
            Tok::Quoted => "a quoted string".into(),
            Tok::Char(c) => format!("{c:?}"),
            Tok::End => "the end of the text".into(),
        }
    }
}

#[derive(Debug, Clone)]
struct Token<'a> {
    tok: Tok<'a>,
    /// Byte offsets of the token in the text.
    start: usize,
    end: usize,
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c >= '\u{a0}'
}

fn is_word_part(c: char) -> bool {
    is_word_start(c) || c.is_ascii_digit() || c == '.' || c == '-'
}

fn is_number_start(c: char) -> bool {
    c.is_ascii_digit() || c == '.' || c == '-'
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn bump_while(&mut self, keep: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
    }

    fn next(&mut self) -> Token<'a> {
        loop {
            self.bump_while(|c| c <= ' ');
            let start = self.pos;
            let Some(c) = self.bump() else {
                return Token { tok: Tok::End, start, end: start };
            };
            let tok = if is_number_start(c) {
                self.number(c)
            } else if is_word_start(c) {
                self.bump_while(is_word_part);
                Tok::Word(&self.text[start..self.pos])
            } else if c == '"' || c == '\'' {
                self.quoted(c);
                Tok::Quoted
            } else if c == '/' {
                if self.peek() == Some('*') {
                    self.bump();
                    match self.text[self.pos..].find("*/") {
                        Some(i) => self.pos += i + 2,
                        None => self.pos = self.text.len(),
                    }
                } else {
                    // Java's tokenizer has already consumed the character after a lone `/` before it skips
                    // to the line end, so a `/` at the end of a line comments out the next line too.
                    if self.peek() != Some('/') {
                        self.bump();
                    }
                    self.bump_while(|c| c != '\n' && c != '\r');
                }
                continue;
            } else {
                Tok::Char(c)
            };
            return Token { tok, start, end: self.pos };
        }
    }

    /// Digits with at most one `.`, optionally after a `-`; a `-` not followed by a digit or `.` is a
    /// one-character token.
    fn number(&mut self, first: char) -> Tok<'a> {
        let mut seen_dot = first == '.';
        if first == '-' {
            match self.peek() {
                Some(c) if c.is_ascii_digit() => {}
                Some('.') => {
                    self.bump();
                    seen_dot = true;
                }
                _ => return Tok::Char('-'),
            }
        }
        while let Some(c) = self.peek() {
            if c == '.' && !seen_dot {
                seen_dot = true;
            } else if !c.is_ascii_digit() {
                break;
            }
            self.bump();
        }
        Tok::Number
    }

    /// The rest of a quoted string: up to the matching quote, a line end (left for the whitespace skip)
    /// or the end of the text. A backslash escapes whatever follows it.
    fn quoted(&mut self, quote: char) {
        while let Some(c) = self.peek() {
            if c == '\n' || c == '\r' {
                return;
            }
            self.bump();
            if c == quote {
                return;
            }
            if c == '\\' {
                self.bump();
            }
        }
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    current: Token<'a>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser { lexer: Lexer { text, pos: 0 }, current: Token { tok: Tok::End, start: 0, end: 0 } }
    }

    fn advance(&mut self) -> &Tok<'a> {
        self.current = self.lexer.next();
        &self.current.tok
    }

    fn tok(&self) -> &Tok<'a> {
        &self.current.tok
    }

    fn is_char(&self, c: char) -> bool {
        self.current.tok == Tok::Char(c)
    }

    /// An error at the current token.
    fn error(&self, expected: &str) -> Error {
        let (line, column) = line_and_column(self.lexer.text, self.current.start);
        Error::Schema(format!(
            "line {line}, column {column}: expected {expected}, found {}",
            self.current.tok.describe()
        ))
    }

    fn expect_char(&mut self, c: char, context: &str) -> Result<()> {
        if self.advance() == &Tok::Char(c) {
            Ok(())
        } else {
            Err(self.error(&format!("{c:?} {context}")))
        }
    }

    fn expect_word(&mut self, what: &str) -> Result<String> {
        match self.advance() {
            Tok::Word(w) => Ok((*w).to_owned()),
            _ => Err(self.error(what)),
        }
    }

    fn parse_all(mut self) -> Result<Vec<Schema>> {
        let mut schemas = Vec::new();
        loop {
            let name = loop {
                match self.advance() {
                    Tok::Word(w) => break (*w).to_owned(),
                    Tok::End => return Ok(schemas),
                    _ => {}
                }
            };
            let schema = match self.advance() {
                Tok::Word("List") => self.list(name)?,
                Tok::Word("Set") => self.set(name)?,
                Tok::Word("Map") => self.map(name)?,
                Tok::Word(_) => {
                    return Err(self.error(&format!("'{{', '@PrimaryKey', `List`, `Set` or `Map` after type `{name}`")))
                }
                _ => self.object(name)?,
            };
            schemas.push(schema);
        }
    }

    /// An OBJECT schema; the current token is the one after the type name.
    fn object(&mut self, name: String) -> Result<Schema> {
        let primary_key = self.key_paths("PrimaryKey", &name)?;
        if !self.is_char('{') {
            return Err(self.error(&format!("'{{' or '@PrimaryKey' after type `{name}`")));
        }
        let mut fields = Vec::new();
        while !matches!(self.advance(), Tok::Char('}')) {
            let Tok::Word(kind) = *self.tok() else {
                return Err(self.error(&format!("a field type or '}}' in type `{name}`")));
            };
            let field_name = self.expect_word(&format!("a field name after `{kind}` in type `{name}`"))?;
            self.expect_char(';', &format!("after field `{name}.{field_name}`"))?;
            fields.push(match inline_kind(kind) {
                Some(field_type) => ObjectField::new(field_name, field_type),
                None => ObjectField::reference(field_name, kind),
            });
        }
        Ok(ObjectSchema { name, fields, primary_key }.into())
    }

    /// `List<E>;`; the current token is `List`.
    fn list(&mut self, name: String) -> Result<Schema> {
        let element_type = self.type_argument("List", &name, '>')?;
        self.expect_char(';', &format!("after the declaration of `{name}`"))?;
        Ok(ListSchema { name, element_type }.into())
    }

    /// `Set<E> [@HashKey(...)];`; the current token is `Set`.
    fn set(&mut self, name: String) -> Result<Schema> {
        let element_type = self.type_argument("Set", &name, '>')?;
        self.advance();
        let hash_key = self.key_paths("HashKey", &name)?;
        if !self.is_char(';') {
            return Err(self.error(&format!("';' or '@HashKey' after the declaration of `{name}`")));
        }
        Ok(SetSchema { name, element_type, hash_key }.into())
    }

    /// `Map<K,V> [@HashKey(...)];`; the current token is `Map`.
    fn map(&mut self, name: String) -> Result<Schema> {
        let key_type = self.type_argument("Map", &name, ',')?;
        let value_type = self.expect_word(&format!("the value type of `{name}`"))?;
        self.expect_char('>', &format!("after the value type of `{name}`"))?;
        self.advance();
        let hash_key = self.key_paths("HashKey", &name)?;
        if !self.is_char(';') {
            return Err(self.error(&format!("';' or '@HashKey' after the declaration of `{name}`")));
        }
        Ok(MapSchema { name, key_type, value_type, hash_key }.into())
    }

    /// `<T` followed by `close`, after `List`, `Set` or `Map`.
    fn type_argument(&mut self, kind: &str, name: &str, close: char) -> Result<String> {
        self.expect_char('<', &format!("after `{kind}` in type `{name}`"))?;
        let argument = self.expect_word(&format!("a type name in the `{kind}` declaration of `{name}`"))?;
        self.expect_char(close, &format!("after `{argument}` in the declaration of `{name}`"))?;
        Ok(argument)
    }

    /// An optional `@<annotation>(path, ...)`, starting at the current token and leaving the token after
    /// it current. `None` when absent or empty.
    fn key_paths(&mut self, annotation: &str, name: &str) -> Result<Option<Vec<String>>> {
        if !self.is_char('@') {
            return Ok(None);
        }
        match self.advance() {
            Tok::Word(w) if *w == annotation => {}
            _ => return Err(self.error(&format!("`{annotation}` after '@' in type `{name}`"))),
        }
        self.expect_char('(', &format!("after @{annotation} in type `{name}`"))?;
        let mut paths = Vec::new();
        self.advance();
        while !self.is_char(')') {
            let Tok::Word(path) = *self.tok() else {
                return Err(self.error(&format!("a field path or ')' in the @{annotation} of `{name}`")));
            };
            let mut path = path.to_owned();
            let path_end = self.current.end;
            self.advance();
            if self.is_char('!') && self.current.start == path_end {
                path.push('!');
                self.advance();
            }
            paths.push(path);
            if self.is_char(',') {
                self.advance();
            } else if !self.is_char(')') {
                return Err(self.error(&format!("',' or ')' in the @{annotation} of `{name}`")));
            }
        }
        self.advance();
        Ok(if paths.is_empty() { None } else { Some(paths) })
    }
}

/// Line and column (both from 1, the column in characters) of a byte offset. `\r\n`, `\r` and `\n` each
/// end a line, as for Java's tokenizer.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let mut line = 1;
    let mut line_start = 0;
    let bytes = before.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let ends_line = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        if ends_line {
            line += 1;
            line_start = i + 1;
        }
    }
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn movie() -> Schema {
        ObjectSchema::new("Movie")
            .with_field(ObjectField::new("id", FieldType::Int))
            .with_field(ObjectField::new("title", FieldType::String))
            .with_primary_key(["id"])
            .into()
    }

    fn err(text: &str) -> String {
        match parse_schemas(text) {
            Err(Error::Schema(message)) => message,
            other => panic!("expected a schema error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn prints_like_java() {
        assert_eq!(to_java_string(&movie()), "Movie @PrimaryKey(id) {\n\tint id;\n\tstring title;\n}");
        let every_kind: Schema = ObjectSchema::new("K")
            .with_field(ObjectField::new("a", FieldType::Int))
            .with_field(ObjectField::new("b", FieldType::Long))
            .with_field(ObjectField::new("c", FieldType::Float))
            .with_field(ObjectField::new("d", FieldType::Double))
            .with_field(ObjectField::new("e", FieldType::Boolean))
            .with_field(ObjectField::new("f", FieldType::String))
            .with_field(ObjectField::new("g", FieldType::Bytes))
            .with_field(ObjectField::reference("h", "Movie"))
            .with_primary_key(["a", "h.id"])
            .into();
        assert_eq!(
            to_java_string(&every_kind),
            "K @PrimaryKey(a, h.id) {\n\tint a;\n\tlong b;\n\tfloat c;\n\tdouble d;\n\tboolean e;\n\tstring f;\n\t\
             bytes g;\n\tMovie h;\n}"
        );
        assert_eq!(to_java_string(&ObjectSchema::new("Empty").into()), "Empty {\n}");
        let list = ListSchema { name: "ListOfString".into(), element_type: "String".into() };
        assert_eq!(to_java_string(&list.into()), "ListOfString List<String>;");
        let set = SetSchema { name: "SetOfString".into(), element_type: "String".into(), hash_key: None };
        assert_eq!(to_java_string(&set.into()), "SetOfString Set<String>;");
        let map = MapSchema {
            name: "M".into(),
            key_type: "K".into(),
            value_type: "V".into(),
            hash_key: Some(vec!["a".into(), "b.c".into()]),
        };
        assert_eq!(to_java_string(&map.into()), "M Map<K,V> @HashKey(a, b.c);");
    }

    #[test]
    fn parses_every_form() {
        let text = "// a comment\nMovie @PrimaryKey(id) {\n\tint id;\n\tstring title;\n}\n\
                    /* block\n comment */ ListOfString List<String>;\n\
                    SetOfString Set<String> @HashKey(value);\n\
                    MapOfStringToLong Map < String , Long > @HashKey ( value ) ;\n\
                    Plain Set<X>; Loose Map<A,B>;";
        let schemas = parse_schemas(text).unwrap();
        let names: Vec<&str> = schemas.iter().map(Schema::name).collect();
        assert_eq!(names, ["Movie", "ListOfString", "SetOfString", "MapOfStringToLong", "Plain", "Loose"]);
        assert_eq!(schemas[0], movie());
        assert_eq!(schemas[1], ListSchema { name: "ListOfString".into(), element_type: "String".into() }.into());
        assert_eq!(
            schemas[3],
            MapSchema {
                name: "MapOfStringToLong".into(),
                key_type: "String".into(),
                value_type: "Long".into(),
                hash_key: Some(vec!["value".into()]),
            }
            .into()
        );
        assert_eq!(schemas[4], SetSchema { name: "Plain".into(), element_type: "X".into(), hash_key: None }.into());
    }

    #[test]
    fn inline_keywords_are_lower_case_only() {
        let s = parse_schema("T { int a; Int b; string c; String d; reference e; }").unwrap();
        let fields = &s.as_object().unwrap().fields;
        assert_eq!(fields[0], ObjectField::new("a", FieldType::Int));
        assert_eq!(fields[1], ObjectField::reference("b", "Int"));
        assert_eq!(fields[2], ObjectField::new("c", FieldType::String));
        assert_eq!(fields[3], ObjectField::reference("d", "String"));
        assert_eq!(fields[4], ObjectField::reference("e", "reference"));
    }

    #[test]
    fn words_take_dots_digits_dashes_and_non_ascii() {
        let s = parse_schema("Ünï_2 @PrimaryKey(a.b-c.d9, x) { com.example.Type a; int x; }").unwrap();
        let o = s.as_object().unwrap();
        assert_eq!(o.name, "Ünï_2");
        assert_eq!(o.primary_key.as_deref().unwrap(), ["a.b-c.d9", "x"]);
        assert_eq!(o.fields[0], ObjectField::reference("a", "com.example.Type"));
    }

    #[test]
    fn empty_keys_are_no_keys_and_trailing_commas_are_allowed() {
        let s = parse_schema("T @PrimaryKey() { int a; }").unwrap();
        assert_eq!(s.as_object().unwrap().primary_key, None);
        let s = parse_schema("S Set<T> @HashKey();").unwrap();
        assert_eq!(s, SetSchema { name: "S".into(), element_type: "T".into(), hash_key: None }.into());
        let s = parse_schema("T @PrimaryKey(a,) { int a; }").unwrap();
        assert_eq!(s.as_object().unwrap().primary_key.as_deref().unwrap(), ["a"]);
    }

    #[test]
    fn key_paths_may_end_with_a_bang() {
        let s = parse_schema("T @PrimaryKey(ref!, a) { R ref; int a; }").unwrap();
        assert_eq!(s.as_object().unwrap().primary_key.as_deref().unwrap(), ["ref!", "a"]);
        assert!(err("T @PrimaryKey(ref !) { R ref; }").contains("column 19"));
    }

    #[test]
    fn stray_tokens_between_schemas_are_skipped_like_java() {
        let schemas =
            parse_schemas("; } 12 'quoted Word' \"x\" A List<B>; ;; / lone slash comments the line\nC {}").unwrap();
        assert_eq!(schemas.len(), 2);
        assert_eq!(schemas[0].name(), "A");
        assert_eq!(schemas[1], ObjectSchema::new("C").into());
    }

    #[test]
    fn comments_and_empty_text() {
        assert!(parse_schemas("").unwrap().is_empty());
        assert!(parse_schemas("  // only a comment").unwrap().is_empty());
        assert!(parse_schemas("/* unterminated A { int a; }").unwrap().is_empty());
        assert_eq!(parse_schemas("A { /*/ still a comment */ int a; }").unwrap().len(), 1);
        let s = parse_schema("A { int a; /\n int hidden;\n long b; }").unwrap();
        assert_eq!(s.as_object().unwrap().fields.len(), 2, "a `/` ending a line comments out the next one");
        let s = parse_schema("A { int a; // trailing\r\n long b; }").unwrap();
        assert_eq!(s.as_object().unwrap().fields.len(), 2);
    }

    #[test]
    fn errors_name_line_column_and_type() {
        let e = err("Movie {\n\tint id\n}");
        assert!(e.starts_with("line 3, column 1:") && e.contains("Movie.id") && e.contains("'}'"), "{e}");
        let e = err("Movie List String;");
        assert!(e.starts_with("line 1, column 12:") && e.contains("'<'") && e.contains("Movie"), "{e}");
        let e = err("A Vector<B>;");
        assert!(e.contains("`Vector`") && e.contains("`A`"), "{e}");
        let e = err("A @HashKey(x) { int x; }");
        assert!(e.contains("PrimaryKey"), "{e}");
        let e = err("A Set<B> @PrimaryKey(x);");
        assert!(e.contains("HashKey"), "{e}");
        let e = err("A Map<B>;");
        assert!(e.contains("','"), "{e}");
        let e = err("A List<\"B\">;");
        assert!(e.contains("quoted string"), "{e}");
        let e = err("A List<B>");
        assert!(e.contains("end of the text"), "{e}");
        let e = err("A { int 5; }");
        assert!(e.contains("field name"), "{e}");
        let e = err("A { int a; ; }");
        assert!(e.contains("field type"), "{e}");
        let e = err("A @PrimaryKey(a b) { int a; }");
        assert!(e.contains("','"), "{e}");
        let e = err("A {\r\n int a;\r\n\t\u{e9}x;\n}");
        assert!(e.starts_with("line 3, column 4:") && e.contains("`éx`"), "{e}");
        let e = err("A { int a;");
        assert!(e.contains("end of the text"), "{e}");
    }

    mod round_trip {
        use super::*;
        use proptest::prelude::*;

        /// Words of the DSL that are not inline keywords (a reference to a type named `int` would read
        /// back as an INT field).
        fn word() -> impl Strategy<Value = String> {
            "[A-Za-z_\u{a0}-\u{ff}\u{4e00}\u{10000}][A-Za-z0-9_.\u{e9}-]{0,8}"
                .prop_filter("not an inline keyword", |w| inline_kind(w).is_none())
        }

        fn key() -> impl Strategy<Value = Option<Vec<String>>> {
            proptest::option::of(proptest::collection::vec(
                (word(), any::<bool>()).prop_map(|(w, bang)| if bang { w + "!" } else { w }),
                1..4,
            ))
        }

        fn field_type() -> impl Strategy<Value = FieldType> {
            prop_oneof![
                Just(FieldType::Reference),
                Just(FieldType::Int),
                Just(FieldType::Long),
                Just(FieldType::Boolean),
                Just(FieldType::Float),
                Just(FieldType::Double),
                Just(FieldType::String),
                Just(FieldType::Bytes),
            ]
        }

        fn field() -> impl Strategy<Value = ObjectField> {
            (word(), field_type(), word()).prop_map(|(name, field_type, target)| match field_type {
                FieldType::Reference => ObjectField::reference(name, target),
                inline => ObjectField::new(name, inline),
            })
        }

        fn schema() -> impl Strategy<Value = Schema> {
            prop_oneof![
                (word(), proptest::collection::vec(field(), 0..6), key())
                    .prop_map(|(name, fields, primary_key)| ObjectSchema { name, fields, primary_key }.into()),
                (word(), word()).prop_map(|(name, element_type)| ListSchema { name, element_type }.into()),
                (word(), word(), key()).prop_map(|(name, element_type, hash_key)| SetSchema {
                    name,
                    element_type,
                    hash_key
                }
                .into()),
                (word(), word(), word(), key()).prop_map(|(name, key_type, value_type, hash_key)| {
                    MapSchema { name, key_type, value_type, hash_key }.into()
                }),
            ]
        }

        proptest! {
            #[test]
            fn parse_of_print_is_identity(schemas in proptest::collection::vec(schema(), 0..5)) {
                let text: String = schemas.iter().map(to_java_string).collect();
                prop_assert_eq!(parse_schemas(&text).unwrap(), schemas);
            }

            #[test]
            fn arbitrary_text_never_panics(text in "[ -~\t\n\r\u{a0}\u{e9}\u{10000}]{0,80}") {
                let _ = parse_schemas(&text);
            }
        }
    }

    #[test]
    fn parse_schema_wants_exactly_one() {
        assert!(parse_schema("").is_err());
        assert!(parse_schema("A List<B>; C List<D>;").is_err());
        assert_eq!(parse_schema("Movie @PrimaryKey(id) { int id; string title; }").unwrap(), movie());
    }
}
