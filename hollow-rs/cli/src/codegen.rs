//! `hollow codegen`: typed accessors generated from a schema file (see `hollow::codegen`).

use std::io::Read;
use std::path::Path;

use hollow::codegen::{generate, Language};

/// Print the code for the schemas in `schema_file` (`-`: standard input) in `language`.
pub fn run(language: &str, schema_file: &Path, out: &mut dyn std::io::Write) -> hollow::Result<()> {
    let language: Language = language.parse()?;
    let text = if schema_file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| hollow::Error::io("reading standard input", e))?;
        text
    } else {
        std::fs::read_to_string(schema_file)
            .map_err(|e| hollow::Error::io(format!("reading {}", schema_file.display()), e))?
    };
    let schemas = hollow::parse_schemas(&text)?;
    let code = generate(language, &schemas)?;
    out.write_all(code.as_bytes()).map_err(|e| hollow::Error::io("writing the generated code", e))
}
