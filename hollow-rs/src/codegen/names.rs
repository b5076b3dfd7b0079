//! Identifiers for generated code: Hollow names (Java identifiers) made valid and idiomatic in the
//! target language, without collisions between the fields of one type.

use std::collections::HashSet;

/// `episodesBySeason` → `episodes_by_season`, `ListOfString` → `list_of_string`, `URLPath` → `url_path`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = sanitize(name).chars().collect();
    let mut out = String::with_capacity(chars.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let starts_word = match prev {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                _ => false,
            };
            if starts_word && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A type name usable as an identifier: characters other than ASCII letters, digits and `_` become `_`,
/// and a leading digit gets a `T` in front.
pub(crate) fn sanitize(name: &str) -> String {
    let mut out: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

/// Unique identifiers for the fields of one type: a name that is reserved (a keyword, or a method the
/// generated type already has) gets a `_` appended, and a name taken twice (`fooBar` and `foo_bar`) a
/// number.
pub(crate) fn unique_idents(
    names: impl IntoIterator<Item = String>,
    reserved: &[&str],
    keywords: &[&str],
) -> Vec<String> {
    let mut taken: HashSet<String> = reserved.iter().map(|r| (*r).to_owned()).collect();
    names
        .into_iter()
        .map(|mut name| {
            if keywords.contains(&name.as_str()) || reserved.contains(&name.as_str()) {
                name.push('_');
            }
            let mut candidate = name.clone();
            let mut n = 2;
            while !taken.insert(candidate.clone()) {
                candidate = format!("{name}_{n}");
                n += 1;
            }
            candidate
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_splits_words() {
        assert_eq!(snake_case("episodesBySeason"), "episodes_by_season");
        assert_eq!(snake_case("ListOfString"), "list_of_string");
        assert_eq!(snake_case("URLPath"), "url_path");
        assert_eq!(snake_case("_name"), "_name");
        assert_eq!(snake_case("my-type"), "my_type");
    }

    #[test]
    fn idents_are_unique_and_not_keywords() {
        let got = unique_idents(["type", "foo_bar", "foo_bar", "ordinal"].map(String::from), &["ordinal"], &["type"]);
        assert_eq!(got, ["type_", "foo_bar", "foo_bar_2", "ordinal_"]);
    }
}
