//! What went wrong with a file upload, carried back to the form in the
//! page's link (uploads are plain multipart posts that answer with a
//! redirect, so they work without the page's script). Only known codes,
//! fields and type names are read back: a crafted link cannot put words
//! of its own on the page.

/// Types the file store names when it refuses a file.
pub const REFUSED_TYPES: &[&str] = &[
    "GIF image",
    "executable",
    "gzip archive",
    "7-Zip archive",
    "legacy Office document",
    "SVG image",
    "HTML document",
    "XML document",
    "HTML/XML markup",
    "unknown binary data",
];

/// Messages for the other fields of the upload forms; the server's checks
/// use the same words.
pub const NOTE_TOO_LONG: &str = "Use at most 500 characters.";
pub const TITLE_PROBLEM: &str = "Give the document a title of at most 120 characters.";
pub const LABEL_PROBLEM: &str = "Name the version in at most 40 characters, e.g. v2 or 2026-Q3.";
pub const DATE_PROBLEM: &str = "Enter the document's date as YYYY-MM-DD.";
pub const LINK_PROBLEM: &str = "Enter a link starting with http:// or https://.";
pub const KIND_PROBLEM: &str = "Choose the kind of document.";
pub const CONTENT_PROBLEM: &str = "Choose a file or enter a link.";

/// The fields whose messages can come back in a link, with their message.
const FIELD_MESSAGES: &[(&str, &str)] = &[
    ("note", NOTE_TOO_LONG),
    ("title", TITLE_PROBLEM),
    ("label", LABEL_PROBLEM),
    ("date", DATE_PROBLEM),
    ("url", LINK_PROBLEM),
    ("kind", KIND_PROBLEM),
    ("file", CONTENT_PROBLEM),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadProblem {
    TooLarge {
        limit_mib: u64,
    },
    TypeNotAllowed {
        detected: &'static str,
    },
    Empty,
    /// Ours: the file could not be stored (the log has why).
    Failed,
    /// Another field of the form, by name.
    Field(&'static str),
}

impl UploadProblem {
    /// The query string that carries it (without `?`).
    pub fn to_query(&self) -> String {
        match self {
            UploadProblem::TooLarge { limit_mib } => format!("problem=too-large&limit={limit_mib}"),
            UploadProblem::TypeNotAllowed { detected } => {
                format!(
                    "problem=type&detected={}",
                    percent_encoding::utf8_percent_encode(detected, percent_encoding::NON_ALPHANUMERIC)
                )
            }
            UploadProblem::Empty => "problem=empty".into(),
            UploadProblem::Failed => "problem=failed".into(),
            UploadProblem::Field(field) => format!("problem=field&field={field}"),
        }
    }

    /// Reads it back from a page's query values; anything unknown is no problem.
    pub fn from_query<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Option<UploadProblem> {
        Some(match get("problem")? {
            "too-large" => UploadProblem::TooLarge { limit_mib: get("limit")?.parse().ok()? },
            "type" => {
                let detected = get("detected")?;
                UploadProblem::TypeNotAllowed { detected: REFUSED_TYPES.iter().find(|t| **t == detected)? }
            }
            "empty" => UploadProblem::Empty,
            "failed" => UploadProblem::Failed,
            "field" => {
                let field = get("field")?;
                UploadProblem::Field(FIELD_MESSAGES.iter().find(|(f, _)| *f == field)?.0)
            }
            _ => return None,
        })
    }

    /// A field message of the upload forms by field name (for the server).
    pub fn for_field(field: &str) -> Option<UploadProblem> {
        FIELD_MESSAGES.iter().find(|(f, _)| *f == field).map(|(f, _)| UploadProblem::Field(f))
    }

    /// The form field the message belongs next to.
    pub fn field(&self) -> &'static str {
        match self {
            UploadProblem::Field(field) => field,
            _ => "file",
        }
    }

    pub fn message(&self) -> String {
        match self {
            UploadProblem::TooLarge { limit_mib } => format!("The file is larger than the {limit_mib} MiB limit."),
            UploadProblem::TypeNotAllowed { detected } => format!(
                "Files of this type ({detected}) are not accepted. Upload a PDF, PNG, JPEG, text, Markdown, CSV, JSON or ZIP file."
            ),
            UploadProblem::Empty => "The file is empty.".into(),
            UploadProblem::Failed => "The file could not be stored. Please try again; if it keeps happening, tell your administrator.".into(),
            UploadProblem::Field(field) => {
                FIELD_MESSAGES.iter().find(|(f, _)| f == field).map(|(_, m)| m.to_string()).unwrap_or_default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(query: &str) -> Option<UploadProblem> {
        let pairs: Vec<(String, String)> = query
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_string(), percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
            })
            .collect();
        UploadProblem::from_query(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()))
    }

    #[test]
    fn problems_round_trip_through_the_link() {
        for problem in [
            UploadProblem::TooLarge { limit_mib: 25 },
            UploadProblem::TypeNotAllowed { detected: "HTML document" },
            UploadProblem::Empty,
            UploadProblem::Failed,
            UploadProblem::Field("title"),
        ] {
            assert_eq!(read(&problem.to_query()), Some(problem));
        }
    }

    #[test]
    fn crafted_links_put_no_words_on_the_page() {
        assert_eq!(read("problem=type&detected=Your%20account%20is%20locked"), None);
        assert_eq!(read("problem=field&field=password"), None);
        assert_eq!(read("problem=too-large&limit=lots"), None);
        assert_eq!(read("problem=other"), None);
    }

    #[test]
    fn messages_name_the_detected_type() {
        let html = UploadProblem::TypeNotAllowed { detected: "HTML document" }.message();
        assert!(html.starts_with("Files of this type (HTML document) are not accepted."), "{html}");
    }
}
