//! Command-line interface of the `preflight` binary.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "preflight", version, about = "Self-hosted production-readiness dashboard")]
pub struct Cli {
    /// TOML settings file (also PREFLIGHT_CONFIG). Environment variables win over it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the first administrator without a browser (fresh installs
    /// only). The password is asked for, or read from standard input.
    CreateAdmin {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
    },
    /// Write a consistent copy of the database to FILE while Preflight runs.
    Backup {
        /// Where to write the backup; must not exist yet.
        file: PathBuf,
    },
    /// The tamper-evident audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Evidence dossiers downloaded from a service page.
    Dossier {
        #[command(subcommand)]
        command: DossierCommand,
    },
    /// Stored readiness figures.
    Scores {
        #[command(subcommand)]
        command: ScoresCommand,
    },
    /// Replace the database with the backup in FILE. Stop Preflight first.
    Restore {
        file: PathBuf,
        /// Overwrite a database that already holds data.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ScoresCommand {
    /// Recompute every service's figures from its items, evidence and
    /// reviews; name every stored figure that disagrees (exit 1 if any).
    Check,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit trail's hash chain entry by entry and name the first
    /// broken entry (exit 1). With --file, check an exported JSON Lines
    /// file instead, without the database.
    Verify {
        /// An export from the audit trail page (JSON Lines).
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DossierCommand {
    /// Check a dossier offline, without the database: every file against
    /// the manifest's size and SHA-256, files missing or not listed, and
    /// the audit entries' chain hashes. Names the first bad file or entry
    /// (exit 1).
    Verify {
        /// The dossier (a ZIP downloaded from a service page).
        file: PathBuf,
    },
}
