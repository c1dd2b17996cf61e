//! `preflight`: see `preflight --help`. Every failure ends with one line on
//! stderr and exit code 1; never a panic message or backtrace.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

use app::backend::{accounts, migrations, Db, DbOptions};
use app::error::AppError;
use server::cli::{AuditCommand, Cli, Command, DossierCommand, ScoresCommand};
use server::settings::Settings;
use server::{logging, ops, serve};

/// mimalloc: rendering a page allocates thousands of small strings, and
/// with glibc's malloc a fifth of a signed-in page's CPU was the allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. With them, a 2 MiB
/// page backs an allocator region as soon as one byte of it is touched: at
/// 5,000 probes the server's peak RSS was 139 MiB, and 158 MiB with a fifth
/// of the targets hanging; without them 113 and 135 MiB, with the same CPU
/// per check (`scripts/bench_probes.py`). mimalloc is also built without
/// its own request for them (`no_thp`), which this call covers on systems
/// that give huge pages unasked (THP "always").
#[cfg(target_os = "linux")]
fn no_transparent_huge_pages() -> std::io::Result<()> {
    Ok(rustix::thread::disable_transparent_huge_pages(true)?)
}

#[cfg(not(target_os = "linux"))]
fn no_transparent_huge_pages() -> std::io::Result<()> {
    Ok(())
}

/// Stack of each runtime thread (see `main`).
const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

fn main() -> ExitCode {
    let huge_pages = no_transparent_huge_pages();
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    logging::init(settings.log_format, &settings.log_level);
    if let Err(e) = huge_pages {
        tracing::debug!(error = %e, "transparent huge pages stay as the system has them");
    }
    // Rendering a page walks its whole view tree recursively; the larger
    // pages (an item with its evidence, reviews and waivers) came within
    // reach of the default 2 MiB in debug builds, and an overflow aborts
    // the process. 8 MiB costs address space, not memory.
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().thread_stack_size(WORKER_STACK_BYTES).enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return fail(format!("cannot start the async runtime: {e}")),
        };
    let result = runtime.block_on(run(cli.command.unwrap_or(Command::Serve), &settings));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(message),
    }
}

async fn run(command: Command, settings: &Settings) -> Result<(), String> {
    match command {
        Command::Serve => serve::serve(settings).await.map_err(|e| e.to_string()),
        Command::Migrate => {
            serve::ensure_data_dir(&settings.data_dir).map_err(|e| e.to_string())?;
            let db = Db::connect(&DbOptions::new(&settings.database_url)).await.map_err(|e| e.to_string())?;
            let report = migrations::migrate(&db).await;
            db.close().await;
            let report = report.map_err(|e| e.to_string())?;
            match report.applied.as_slice() {
                [] => {
                    println!("database {} is up to date (schema version {})", db.target(), report.current.unwrap_or(0))
                }
                applied => println!("applied migrations {applied:?} to {}", db.target()),
            }
            Ok(())
        }
        Command::CreateAdmin { name, email } => {
            let password = read_new_password()?;
            serve::ensure_data_dir(&settings.data_dir).map_err(|e| e.to_string())?;
            let db = serve::open_database(settings).await.map_err(|e| e.to_string())?;
            let passwords = app::backend::passwords::Passwords::new(1);
            let now = app::backend::clock::Clock::system().now_millis();
            let created = accounts::setup_first_admin(&db, &passwords, now, &name, &email, &password).await;
            db.close().await;
            match created {
                Ok(user) => {
                    println!("created administrator {} <{}>", user.name, user.email);
                    Ok(())
                }
                Err(AppError::NotFound) => {
                    Err("an account already exists; create-admin only sets up a fresh installation".into())
                }
                Err(AppError::Invalid { field, message }) => Err(format!("{field}: {message}")),
                Err(other) => Err(other.to_string()),
            }
        }
        Command::Scores { command: ScoresCommand::Check } => {
            let db = Db::connect(&DbOptions::new(&settings.database_url)).await.map_err(|e| e.to_string())?;
            let now = app::backend::clock::Clock::system().now_millis();
            let (services, disagreements) =
                app::backend::figures::check(&db, now).await.map_err(|e| format!("cannot check the scores: {e}"))?;
            for d in &disagreements {
                println!("{d}");
            }
            if disagreements.is_empty() {
                println!("{services} services checked; every stored figure agrees with the items");
                Ok(())
            } else {
                Err(format!(
                    "{} stored figures disagree with the items ({services} services checked)",
                    disagreements.len()
                ))
            }
        }
        Command::Audit { command: AuditCommand::Verify { file: Some(file) } } => {
            let opened = std::fs::File::open(&file).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
            let report = app::backend::audit_chain::verify_export(std::io::BufReader::new(opened))
                .map_err(|e| format!("{}: {e}", file.display()))?;
            let h = &report.header;
            let what = if h.complete { "the whole chain".to_string() } else { format!("an excerpt ({})", h.filter) };
            println!(
                "{}: {} entries of {what} verified; chain head at export: entry {} hash {}",
                file.display(),
                report.entries,
                h.head.seq,
                h.head.hash
            );
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify { file: None } } => {
            let db = Db::connect(&DbOptions::new(&settings.database_url)).await.map_err(|e| e.to_string())?;
            let verified = app::backend::audit::verify(&db).await;
            db.close().await;
            let verified = verified.map_err(|e| format!("the audit trail does not verify: {e}"))?;
            println!(
                "{} audit entries verified; chain head: entry {} hash {}",
                verified.entries, verified.head.seq, verified.head.hash
            );
            Ok(())
        }
        Command::Dossier { command: DossierCommand::Verify { file } } => verify_dossier(&file),
        Command::Backup { file } => {
            let report = ops::backup(&settings.database_url, &file).await.map_err(|e| e.to_string())?;
            println!("backup written to {} ({} bytes)", report.path.display(), report.bytes);
            if let Some(tables) = report.tables {
                print_tables(&tables);
            }
            Ok(())
        }
        Command::Restore { file, force } => {
            let report = ops::restore(&settings.database_url, &file, force).await.map_err(|e| e.to_string())?;
            println!("restored {} into {}; integrity check passed", file.display(), report.target);
            if !report.migrations_applied.is_empty() {
                println!("then applied migrations {:?}", report.migrations_applied);
            }
            print_tables(&report.tables);
            Ok(())
        }
    }
}

/// Asks twice on a terminal; otherwise reads one line from standard input
/// (for scripts: `echo "$PASSWORD" | preflight create-admin …`).
fn read_new_password() -> Result<String, String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| format!("cannot read the password: {e}"))?;
        let again = rpassword::prompt_password("Again: ").map_err(|e| format!("cannot read the password: {e}"))?;
        if first != again {
            return Err("the two passwords differ".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

fn print_tables(tables: &std::collections::BTreeMap<String, i64>) {
    for (table, rows) in tables {
        println!("  {table}: {rows} rows");
    }
}

/// `preflight dossier verify FILE`: every problem on stderr, the first
/// one named in the final line.
fn verify_dossier(file: &std::path::Path) -> Result<(), String> {
    let opened = std::fs::File::open(file).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    match server::dossier::archive::verify(std::io::BufReader::new(opened)) {
        Ok(v) => {
            let m = &v.manifest;
            println!(
                "{}: OK, dossier of {} ({}) generated {}: {} files ({} bytes) match the manifest; {} audit entries verified; chain head at export: entry {} hash {}",
                file.display(),
                m.service.name,
                m.service.slug,
                m.generated_at,
                v.files,
                v.bytes,
                v.audit.entries,
                m.audit_chain_head.seq,
                m.audit_chain_head.hash
            );
            Ok(())
        }
        Err(problems) => {
            for problem in problems.iter().skip(1) {
                eprintln!("{}: also: {problem}", file.display());
            }
            let first = problems.first().map(ToString::to_string).unwrap_or_default();
            Err(format!("{}: the dossier does not verify: {first}", file.display()))
        }
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("preflight: {message}");
    ExitCode::FAILURE
}
