//! `cp247 user add|disable|reset-mfa|list --dir DIR`: people's accounts.
//!
//! `add` and `reset-mfa` print the TOTP secret, its `otpauth://` URI and the recovery codes
//! once; the node keeps only the secret it needs to check codes, sealed under the node's
//! secrets key (`secrets.key`), and the hashes of the recovery codes. A password is never taken on the command line: it comes from `--password-file` or
//! the environment variable `CP247_USER_PASSWORD`.
//!
//! Like `cp247 token`, these commands open the node's database directly (on SQLite, stop the
//! node first). Exit codes: 0 done; 1 refused (the reason is printed).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use cp247_domain::{Clock, SystemClock};
use cp247_server::accounts::{Password, RecoveryCodes, TotpSecret, enrol, issuer_for};
use cp247_server::auth::Role;
use cp247_server::config::ConfigFile;
use cp247_server::secrets::SecretsKey;
use cp247_store::{Actor, AuditAction, AuditRecord, AuditResult, Page, StoreError};
use serde_json::json;

/// The environment variable a new password may come from.
pub const PASSWORD_ENV: &str = "CP247_USER_PASSWORD";

/// `cp247 user`
#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account; prints its TOTP secret and recovery codes (once).
    Add {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
        /// The sign-in name (a-z, 0-9, '.', '_', '-').
        #[arg(long)]
        username: String,
        /// The name shown to colleagues.
        #[arg(long)]
        name: String,
        /// officer, supervisor, administrator or read_only.
        #[arg(long, value_parser = Role::parse)]
        role: Role,
        /// A file holding the password (one line). Without it, CP247_USER_PASSWORD.
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Disable an account: its sessions and API tokens stop working at once.
    Disable {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
        /// The account's user name.
        #[arg(long)]
        username: String,
    },
    /// Replace an account's TOTP secret and recovery codes (lost phone); prints the new ones.
    ResetMfa {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
        /// The account's user name.
        #[arg(long)]
        username: String,
    },
    /// List the accounts (never their secrets).
    List {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
    },
}

fn read_password(file: Option<&std::path::Path>) -> anyhow::Result<Password> {
    let text = match file {
        Some(path) => {
            let mut text = crate::node::read_text(path, 4096)
                .with_context(|| format!("the password file {} cannot be read", path.display()))?;
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            text
        }
        None => match crate::node::env_var(PASSWORD_ENV) {
            Some(text) => text,
            None => bail!(
                "no password: give --password-file PATH or set {PASSWORD_ENV} (a password is never accepted on the command line)"
            ),
        },
    };
    let password = Password::new(text);
    password.check_policy()?;
    Ok(password)
}

/// The node's secrets key (the TOTP seeds are stored sealed under it).
fn secrets_key(dir: &std::path::Path) -> anyhow::Result<SecretsKey> {
    let config = ConfigFile::load(
        &dir.join(cp247_server::config::CONFIG_FILE_NAME),
        &crate::serve::config_overrides(),
    )?;
    let path = cp247_server::secrets::key_path(&config);
    SecretsKey::load(&path).with_context(|| {
        format!(
            "the TOTP secret is stored sealed under the node's secrets key {}, which cannot be used (start the node once to create it in an older node directory)",
            path.display()
        )
    })
}

fn print_secrets(username: &str, totp: &TotpSecret, uri: &str, codes: &RecoveryCodes) {
    println!("user: {username}");
    println!("totp_secret: {}", totp.to_base32());
    println!("otpauth_uri: {uri}");
    println!("recovery_codes:");
    for c in codes.reveal() {
        println!("  {c}");
    }
}

/// `cp247 user …`.
pub fn run(args: UserArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match args.command {
            UserCommand::Add {
                dir,
                username,
                name,
                role,
                password_file,
            } => {
                let password = read_password(password_file.as_deref())?;
                let key = secrets_key(&dir)?;
                let (store, node) = crate::token::open_with_node(&dir).await?;
                let now = SystemClock.now();
                let enrolment = enrol(
                    &store,
                    &key,
                    &username,
                    &name,
                    role,
                    &password,
                    &issuer_for(&node),
                    now,
                )
                .await
                .map_err(|e| match e {
                    cp247_server::accounts::AccountError::Store(StoreError::Conflict { .. }) => {
                        anyhow::anyhow!("an account named '{username}' exists already")
                    }
                    other => other.into(),
                })?;
                store.close().await;
                print_secrets(
                    &username,
                    &enrolment.totp,
                    &enrolment.otpauth_uri,
                    &enrolment.recovery,
                );
                eprintln!(
                    "cp247: account '{username}' ({}) created; the TOTP secret and recovery codes are shown only now",
                    role.as_str()
                );
                Ok(ExitCode::SUCCESS)
            }
            UserCommand::Disable { dir, username } => {
                let store = crate::token::open(&dir).await?;
                let now = SystemClock.now();
                let account = match store.account_named(&username).await {
                    Ok(a) => a,
                    Err(StoreError::NotFound { .. }) => bail!("there is no account named '{username}'"),
                    Err(e) => return Err(e.into()),
                };
                let mut tx = store.begin().await?;
                tx.disable_account(account.id, now).await?;
                tx.append_audit(&AuditRecord {
                    actor: Actor::parse("cli:user-disable")?,
                    action: AuditAction::AccountChange,
                    ticket: None,
                    result: AuditResult::Ok,
                    details: json!({ "account": username, "change": "disabled" }),
                    at: now,
                })
                .await?;
                tx.commit().await?;
                store.close().await;
                println!("disabled account {username}; its sessions and tokens no longer work");
                Ok(ExitCode::SUCCESS)
            }
            UserCommand::ResetMfa { dir, username } => {
                let key = secrets_key(&dir)?;
                let (store, node) = crate::token::open_with_node(&dir).await?;
                let now = SystemClock.now();
                let account = match store.account_named(&username).await {
                    Ok(a) => a,
                    Err(StoreError::NotFound { .. }) => bail!("there is no account named '{username}'"),
                    Err(e) => return Err(e.into()),
                };
                if !account.can_sign_in {
                    bail!("account '{username}' is an API-only account: it has no second factor");
                }
                let totp = TotpSecret::generate();
                let codes = RecoveryCodes::generate();
                let uri = totp
                    .otpauth_uri(&username, &issuer_for(&node))
                    .context("the otpauth URI cannot be built for this user name")?;
                let sealed = key
                    .seal_totp(&username, &totp)
                    .context("the new TOTP secret cannot be sealed")?;
                let mut tx = store.begin().await?;
                tx.reset_mfa(account.id, &sealed, &codes.hashes(), now)
                    .await?;
                tx.append_audit(&AuditRecord {
                    actor: Actor::parse("cli:user-reset-mfa")?,
                    action: AuditAction::AccountChange,
                    ticket: None,
                    result: AuditResult::Ok,
                    details: json!({ "account": username, "change": "second_factor_reset" }),
                    at: now,
                })
                .await?;
                tx.commit().await?;
                store.close().await;
                print_secrets(&username, &totp, &uri, &codes);
                eprintln!(
                    "cp247: the second factor of '{username}' was replaced; the old codes no longer work and its sessions ended"
                );
                Ok(ExitCode::SUCCESS)
            }
            UserCommand::List { dir } => {
                let store = crate::token::open(&dir).await?;
                let accounts = store
                    .accounts(Page {
                        offset: 0,
                        limit: 1000,
                    })
                    .await?;
                for a in &accounts.items {
                    let state = match a.disabled_at {
                        Some(at) => format!("disabled {at}"),
                        None if a.can_sign_in => "active".to_owned(),
                        None => "api-only".to_owned(),
                    };
                    println!(
                        "{}\t{}\t{}\t{}\tcreated {}\t{state}",
                        a.id,
                        a.username,
                        a.display_name,
                        a.role.as_str(),
                        a.created_at
                    );
                }
                store.close().await;
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}
