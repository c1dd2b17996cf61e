//! The one error that means "the guard said no".

use std::error::Error as StdError;

/// What a user is told whenever the guard refuses an address.
///
/// It is the same text for every refused target, whatever the reason and
/// whatever state the target is in (open port, closed port, a name that
/// resolves to a refused address): a message that varied would let a user map
/// the internal network through probe results.
pub const REFUSAL_MESSAGE: &str = "Preflight does not connect to this address: loopback, private, link-local \
     and other internal addresses are refused unless an administrator allows them.";

/// The guard refused to connect. Nothing was sent to the target.
///
/// The reason is logged (at debug level) where the refusal is made and is
/// deliberately not carried here, so that it cannot leak into a user-facing
/// message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", REFUSAL_MESSAGE)]
pub struct Refusal {
    _private: (),
}

impl Refusal {
    pub(crate) fn new() -> Self {
        Refusal { _private: () }
    }
}

/// Finds a [`Refusal`] anywhere in an error's `source()` chain.
///
/// reqwest wraps the guard's resolver and redirect-policy errors several
/// layers deep; the probe engine uses this to tell "refused by the guard" from
/// DNS, connect, TLS and timeout failures.
///
/// ```
/// # fn classify(err: &reqwest::Error) -> &'static str {
/// match outbound::refusal_of(err) {
///     Some(_) => "refused by the outbound guard",
///     None => "failed",
/// }
/// # }
/// ```
pub fn refusal_of<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a Refusal> {
    let mut current = Some(err);
    while let Some(err) = current {
        if let Some(refusal) = err.downcast_ref::<Refusal>() {
            return Some(refusal);
        }
        current = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Box<dyn StdError + Send + Sync>);

    #[test]
    fn found_deep_in_the_chain() {
        let err = Outer(Box::new(Outer(Box::new(Refusal::new()))));
        assert_eq!(refusal_of(&err), Some(&Refusal::new()));
    }

    #[test]
    fn absent_from_other_errors() {
        let err = Outer(Box::new(std::io::Error::other("dns")));
        assert_eq!(refusal_of(&err), None);
    }

    #[test]
    fn message_is_fixed() {
        assert_eq!(Refusal::new().to_string(), REFUSAL_MESSAGE);
    }
}
