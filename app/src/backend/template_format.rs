//! Checklist templates as TOML text: reading one (with every problem named
//! by line and field), writing one in the same format, and the built-in
//! templates shipped in `checklists/`.

use crate::domain::checklist::{problems, TemplateFile, TemplateProblem};

/// The built-in templates, as shipped: (file name, text).
pub const BUILT_IN: [(&str, &str); 3] = [
    ("web-app.toml", include_str!("../../../checklists/web-app.toml")),
    ("blockchain.toml", include_str!("../../../checklists/blockchain.toml")),
    ("resilience.toml", include_str!("../../../checklists/resilience.toml")),
];

/// A problem with a template's text: where it is (a line, when known) and
/// what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextProblem {
    /// 1-based line of the text, when the problem has one.
    pub line: Option<usize>,
    pub problem: TemplateProblem,
}

impl std::fmt::Display for TextProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}, {}", self.problem),
            None => write!(f, "{}", self.problem),
        }
    }
}

/// Reads a template; on failure, every problem found (a syntax or type
/// error stops at the first).
pub fn parse(text: &str) -> Result<TemplateFile, Vec<TextProblem>> {
    let file: TemplateFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|span| line_at(text, span.start));
        vec![TextProblem { line, problem: TemplateProblem { field: "toml".into(), message: first_line(e.message()) } }]
    })?;
    let found = problems(&file);
    if found.is_empty() {
        return Ok(file);
    }
    Err(found.into_iter().map(|problem| TextProblem { line: line_of(text, &problem.field), problem }).collect())
}

/// The template as TOML in the format it is read in (`parse` gives back the
/// same template).
pub fn export(file: &TemplateFile) -> String {
    // Serialising these plain structs cannot fail; were it ever to, an
    // empty export is refused by `parse` rather than silently wrong.
    toml::to_string(file).unwrap_or_default()
}

/// The 1-based line holding byte `offset` of `text`.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

/// Where the field a problem names is written: the `[[items]]` or
/// `[[sections]]` table it belongs to (the n-th of them), or the
/// `[template]` table.
fn line_of(text: &str, field: &str) -> Option<usize> {
    let (table, index) = match field.split_once('[') {
        Some((table, rest)) => (table, rest.split_once(']')?.0.parse::<usize>().ok()?),
        None => (field.split('.').next()?, 0),
    };
    let header = match table {
        "items" => "[[items]]",
        "sections" => "[[sections]]",
        "template" => "[template]",
        _ => return None,
    };
    let mut seen = 0;
    for (number, line) in text.lines().enumerate() {
        if line.trim() == header {
            if seen == index {
                return Some(number + 1);
            }
            seen += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_templates_are_valid_and_complete() {
        let counts: Vec<(String, usize)> = BUILT_IN
            .iter()
            .map(|(name, text)| {
                let file = parse(text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
                (file.template.id, file.items.len())
            })
            .collect();
        assert_eq!(
            counts,
            [("web-app".to_string(), 23), ("blockchain".to_string(), 37), ("resilience".to_string(), 13)]
        );
    }

    #[test]
    fn export_then_import_gives_the_same_template() {
        for (name, text) in BUILT_IN {
            let file = parse(text).unwrap();
            let again = parse(&export(&file)).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(again, file, "{name}");
        }
        // Optional fields survive too.
        let mut file = parse(BUILT_IN[0].1).unwrap();
        file.items[0].tiers = Some(vec![1, 2]);
        assert_eq!(parse(&export(&file)).unwrap(), file);
        assert!(export(&file).contains("\ntiers = [1, 2]\n"), "{}", export(&file));
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let text =
            "[template]\nid = \"x\"\nname = \"X\"\nversion = 1\n\n[[items]]\nid = \"a.b\"\nseverity = \"huge\"\n";
        let problems = parse(text).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(8), "{problems:?}");
        assert!(problems[0].problem.message.contains("huge"), "{problems:?}");
    }

    #[test]
    fn rule_problems_name_the_table_they_are_in() {
        let text = "[template]\nid = \"x\"\nname = \"X\"\nversion = 1\n\n[[sections]]\nid = \"a\"\nname = \"A\"\n\n\
                    [[items]]\nid = \"a.one\"\ntitle = \"One\"\nseverity = \"low\"\nlevel = \"gold\"\nevidence = \"none\"\n\n\
                    [[items]]\nid = \"b.two\"\ntitle = \"Two\"\nseverity = \"low\"\nlevel = \"gold\"\nevidence = \"none\"\napprovals = 9\n";
        let problems = parse(text).unwrap_err();
        let found: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            [
                "line 17, items[1].id: the part before the dot must be the id of a section",
                "line 17, items[1].approvals: at most 5 distinct reviewers",
            ]
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = "[template]\nid = \"x\"\nname = \"X\"\nversion = 1\ncolour = \"red\"\n";
        let problems = parse(text).unwrap_err();
        assert_eq!(problems[0].line, Some(5), "{problems:?}");
        assert!(problems[0].problem.message.contains("colour"), "{problems:?}");
    }
}
