//! Plain types and rules shared by server and browser. Nothing in here does
//! I/O, so both sides compute the same answer and tests are cheap.

pub mod access;
pub mod audit;
pub mod badge;
pub mod campaigns;
pub mod checklist;
pub mod device;
pub mod documents;
pub mod history;
pub mod items;
pub mod links;
pub mod milestones;
pub mod notifications;
pub mod people;
pub mod probes;
pub mod readiness;
pub mod scorecard;
pub mod services;
pub mod sessions;
pub mod teams;
pub mod templates;
pub mod theme;
pub mod uploads;

/// A word stored in the database (a role, a status, a severity) that this
/// version does not know, perhaps written by a newer one. A row holding it
/// fails to decode: it never quietly becomes some other value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    /// What the word should have been: "role", "item status", …
    pub kind: &'static str,
    pub word: String,
}

impl std::fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} {:?}", self.kind, self.word)
    }
}

impl std::error::Error for UnknownWord {}

/// `TryFrom<String>` through the type's `parse`, failing with
/// [`UnknownWord`], for types stored as words.
macro_rules! stored_word {
    ($type:ty, $kind:literal) => {
        impl TryFrom<String> for $type {
            type Error = $crate::domain::UnknownWord;

            fn try_from(word: String) -> Result<$type, $crate::domain::UnknownWord> {
                <$type>::parse(&word).ok_or($crate::domain::UnknownWord { kind: $kind, word })
            }
        }
    };
}
pub(crate) use stored_word;
