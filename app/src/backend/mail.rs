//! Outgoing mail (password resets and invitations) over SMTP.
//!
//! Configured with `PREFLIGHT_SMTP_URL`:
//! `smtp://host:25` (plain, for a local relay), `smtp://user:pass@host:587?tls=required`
//! (STARTTLS) or `smtps://user:pass@host:465` (TLS from the start), plus
//! `PREFLIGHT_SMTP_FROM`. Without it Preflight sends no mail and admins hand
//! out links themselves.

use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::domain::links::LinkKind;

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    // The transport holds the SMTP password; show only the sender.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the SMTP URL is not valid: {0}")]
    Url(String),
    #[error("'{0}' is not a sender address like Preflight <preflight@example.com>")]
    From(String),
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("the SMTP server did not accept the message: {0}")]
    Send(String),
}

impl Mailer {
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            // The error text can repeat the URL, which may hold a password.
            .map_err(|_| MailError::Url("expected smtp://, smtp://…?tls=required or smtps://".into()))?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        let from = from.parse::<Mailbox>().map_err(|_| MailError::From(from.to_string()))?;
        Ok(Mailer { transport, from })
    }

    /// Mails the single-use link `url` of `kind` to one person.
    pub async fn send_link(&self, kind: LinkKind, to_name: &str, to_email: &str, url: &str) -> Result<(), MailError> {
        let (subject, body) = link_message(kind, to_name, url);
        self.send(to_name, to_email, subject, body).await
    }

    /// Sends a plain-text message to one person.
    pub async fn send(&self, to_name: &str, to_email: &str, subject: &str, body: String) -> Result<(), MailError> {
        let to = Mailbox::new(
            Some(to_name.to_string()),
            to_email.parse().map_err(|e: lettre::address::AddressError| MailError::Build(e.to_string()))?,
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport.send(message).await.map_err(|e| MailError::Send(e.to_string()))?;
        Ok(())
    }
}

/// Subject and body of the mail that carries a single-use link.
fn link_message(kind: LinkKind, name: &str, url: &str) -> (&'static str, String) {
    match kind {
        LinkKind::Invite => (
            "You are invited to Preflight",
            format!(
                "Hello {name},\n\nYou have been given an account on Preflight, the production-readiness dashboard.\n\
                 Choose your password here (the link works once and expires in 7 days):\n\n{url}\n"
            ),
        ),
        LinkKind::Reset => (
            "Reset your Preflight password",
            format!(
                "Hello {name},\n\nSomeone (hopefully you) asked to reset your Preflight password.\n\
                 Choose a new one here (the link works once and expires in 30 minutes):\n\n{url}\n\n\
                 If you did not ask for this, ignore this message; your password stays as it is.\n"
            ),
        ),
    }
}
